/**
 * The history's fingerprint: sha256 over each entry's JSON and a newline, first 16 hex digits. Entries made by
 * History.call are serialised by hand; the bytes must be JSON.stringify's, whatever the strings hold, or every
 * recorded fingerprint would change. positionsOf, which the checkers read instead of every entry, lists exactly the
 * entries of the kinds asked.
 */
import { createHash } from 'node:crypto';
import { describe, expect } from 'vitest';
import { fc, test } from '../support/property.js';
import { History, type HistoryEntry } from '../../sim/history.js';

/** The fingerprint as its definition states it, with JSON.stringify. */
function byDefinition(entries: readonly HistoryEntry[]): string {
  const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'binary-ascii' }),
  fc.constantFrom('w0#1', 'job0', 'ok epoch 3', 'a"b\\c\n', '\u2028', '\ud800'),
);
const time = fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const callArgs = fc.tuple(time, anyText, anyText, anyText, anyText);
const step = fc.oneof(
  callArgs.map((args) => ({ call: args }) as const),
  fc.tuple(fc.nat(), anyText).map(([t, label]) => ({ entry: { t, kind: 'fault', label } as HistoryEntry }) as const),
);

describe('History.fingerprint', () => {
  test.prop([fc.array(step, { maxLength: 30 }), fc.nat({ max: 30 })], { numRuns: 300 })(
    'is the same for entries made by call() as for the same entries added whole, and as its definition',
    (steps, askAt) => {
      const made = new History();
      const added = new History();
      for (const [index, item] of steps.entries()) {
        if ('call' in item) {
          const [t, actor, op, target, result] = item.call;
          made.call(t, actor, op, target, result);
          added.add({ t, kind: 'call', actor, op, target, result });
        } else {
          made.add(item.entry);
          added.add(item.entry);
        }
        // Asked part way too: the hash is incremental.
        if (index === askAt) expect(made.fingerprint()).toBe(byDefinition(made.entries));
      }
      expect(made.entries).toEqual(added.entries);
      expect(made.fingerprint()).toBe(added.fingerprint());
      expect(made.fingerprint()).toBe(byDefinition(added.entries));
    },
  );

  test.prop([fc.array(step, { maxLength: 40 }), fc.subarray(['call', 'fault', 'grant'] as const, { minLength: 1 })], {
    numRuns: 200,
  })(
    'positionsOf lists the entries of the kinds asked, in history order, also after a push onto entries',
    (steps, kinds) => {
      const history = new History();
      for (const item of steps) {
        if ('call' in item) history.call(...item.call);
        else history.add(item.entry);
      }
      const expected = (entries: readonly HistoryEntry[]) =>
        entries.flatMap((entry, position) => ((kinds as readonly string[]).includes(entry.kind) ? [position] : []));
      expect(history.positionsOf(...kinds)).toEqual(expected(history.entries));
      history.entries.push({
        t: 1,
        kind: 'grant',
        actor: 'w0#1',
        job: 'job0',
        epoch: 1,
        leaseUntilMs: 9,
        recovery: false,
      });
      history.add({ t: 2, kind: 'fault', label: 'late' });
      expect(history.positionsOf(...kinds)).toEqual(expected(history.entries));
    },
  );
});
