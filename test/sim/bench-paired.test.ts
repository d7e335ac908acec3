/**
 * bench/paired.ts: which entry a checkout plays through, and how a side's figures are read back from the probe's
 * line (a campaign that ends without it is an error, not a zero).
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignArgs, readSide } from '../../bench/paired.js';

describe('bench:paired', () => {
  it('plays a checkout with sim/run.mjs through it, and an older one through tsx and sim/cli.ts', () => {
    const current = mkdtempSync(join(tmpdir(), 'paired-'));
    mkdirSync(join(current, 'sim'));
    writeFileSync(join(current, 'sim', 'run.mjs'), '');
    const older = mkdtempSync(join(tmpdir(), 'paired-'));
    const compiled = campaignArgs(current, 50, 9);
    expect(compiled).toContain(join(current, 'sim', 'run.mjs'));
    expect(compiled).not.toContain('tsx');
    expect(compiled.slice(-6)).toEqual(['--runs', '50', '--seed', '9', '--differential', '0']);
    const throughTsx = campaignArgs(older, 50, 9);
    expect(throughTsx).toContain(join(older, 'sim', 'cli.ts'));
    expect(throughTsx[throughTsx.indexOf('tsx') - 1]).toBe('--import');
  });

  it("reads the probe's CPU and wall time and the campaign's fingerprint", () => {
    const stdout = '2000 runs in 13.5 s (148.1 runs/s), fingerprint 6b70374ba9ceb8d5\n';
    const stderr = 'progress\n\nchunkwise-cpu {"cpuMs":17920.5,"wallMs":14190.25}\n';
    expect(readSide(stdout, stderr)).toEqual({ cpuMs: 17920.5, wallMs: 14190.25, fingerprint: '6b70374ba9ceb8d5' });
    expect(() => readSide(stdout, 'a crash\n')).toThrow(/no CPU line/);
  });
});
