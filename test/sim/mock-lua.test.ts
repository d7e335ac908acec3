/**
 * ioredis-mock's scripts with their Lua state kept (sim/mock-lua.ts) answer as the mock's own custom commands, which
 * build a state per call: the same replies, the same errors, the same effects on the data, and whole simulated runs
 * with the same fingerprints.
 */
import { describe, expect, it } from 'vitest';
import { playRun, totals } from '../../sim/campaign.js';
import { cacheMockScripts } from '../../sim/mock-lua.js';
import { closeStores, storeOption } from '../../sim/stores.js';

type Client = Record<string, (...args: unknown[]) => Promise<unknown>> & {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  pipeline(): { exec(): Promise<unknown>; [command: string]: (...args: unknown[]) => unknown };
};

const scripts: Record<string, { numberOfKeys: number; lua: string }> = {
  table: {
    numberOfKeys: 2,
    lua: `redis.call('HSET', KEYS[1], 'a', ARGV[1]); redis.call('ZADD', KEYS[2], 3, ARGV[2])
      return {1, 'two', redis.call('HGET', KEYS[1], 'a'), {4, 5}, redis.call('HGETALL', KEYS[1]), #ARGV}`,
  },
  plain: { numberOfKeys: 1, lua: `redis.call('SET', KEYS[1], 'x'); return 'ok'` },
  scalar: { numberOfKeys: 0, lua: `return tonumber(ARGV[1]) * 2` },
  missing: { numberOfKeys: 1, lua: `return redis.call('GET', KEYS[1])` },
  failing: { numberOfKeys: 1, lua: `redis.call('NOSUCHCOMMAND', KEYS[1]); return 1` },
  caught: { numberOfKeys: 1, lua: `local reply = redis.pcall('NOSUCHCOMMAND', KEYS[1]); return {reply.err ~= nil}` },
  raising: { numberOfKeys: 0, lua: `error('refused: ' .. ARGV[1])` },
  unparsable: { numberOfKeys: 0, lua: `return {` },
  keys: { numberOfKeys: 1, lua: `return {#KEYS, #ARGV, KEYS[1], ARGV[2] or 'none'}` },
};

const calls: [string, unknown[]][] = [
  ['table', ['h', 'z', 'value', 'member']],
  ['plain', ['s']],
  ['scalar', ['21']],
  ['missing', ['absent']],
  ['failing', ['k']],
  ['caught', ['k']],
  ['raising', ['now']],
  ['unparsable', []],
  ['keys', ['k1', 'a', 'b']],
  ['keys', ['k2']],
  ['table', ['h', 'z', 'other', 'member2']],
];

async function answers(cached: boolean): Promise<unknown[]> {
  const { default: RedisMock } = await import('ioredis-mock');
  const client = new RedisMock({ keyPrefix: `mock-lua-${String(cached)}-${process.pid}:` }) as unknown as Client;
  if (cached) cacheMockScripts(client);
  for (const [name, definition] of Object.entries(scripts)) client.defineCommand(name, definition);
  const replies: unknown[] = [];
  for (const [name, args] of calls) {
    replies.push(
      await (client[name] as (...args: unknown[]) => Promise<unknown>)(...args).then(
        (reply) => ({ reply }),
        (error: unknown) => ({ error: String(error) }),
      ),
    );
  }
  const pipeline = client.pipeline();
  pipeline['scalar']?.('5');
  pipeline['keys']?.('k3', 'x');
  replies.push(await pipeline.exec());
  replies.push(await client['hgetall']?.('h'), await client['zrange']?.('z', 0, -1), await client['get']?.('s'));
  return replies;
}

describe('ioredis-mock scripts with their Lua state kept', () => {
  it('answer every call as the mock does by itself: replies, errors, pipelines and data', async () => {
    const [uncached, cached] = [await answers(false), await answers(true)];
    expect(cached).toEqual(uncached);
    expect(cached[2]).toEqual({ reply: 42 });
    expect(String((cached[4] as { error: string }).error)).toMatch(/Error trying to loading or executing lua/);
  });

  it('give simulated runs the same fingerprints as the mock by itself', async () => {
    const fingerprint = async (mockScripts: 'cached' | 'uncached') => {
      const world = await storeOption('ioredis-mock', { roundTrips: 'atomic', mockScripts });
      try {
        const summaries = [];
        for (const index of [0, 1, 2, 3]) summaries.push(await playRun(7, index, { world }));
        return totals(summaries).fingerprint;
      } finally {
        await closeStores();
      }
    };
    expect(await fingerprint('cached')).toBe(await fingerprint('uncached'));
  }, 120_000);
});
