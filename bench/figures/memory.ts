/**
 * Figure 7: memory during recovery against steady processing (the seed document asks for less
 * than 10 % overhead). Each sample is a fresh process (bench/memory-child.ts) so that neither mode
 * inherits the other's heap; steady and recovery samples alternate, and the peak and mean of
 * heapUsed and RSS are averaged per mode.
 */
import type { Budget } from '../support/budget.js';
import { mean, progress, round } from '../support/measure.js';
import type { RedisProbe } from '../support/redis.js';
import { runCommand } from '../support/spawn.js';

interface ChildReport {
  readonly mode: 'steady' | 'recovery';
  readonly completed: number;
  readonly jobs: number;
  readonly crashes: number;
  readonly recoveries: number;
  readonly wallMs: number;
  readonly heapUsed: { peakMiB: number; meanMiB: number };
  readonly rss: { peakMiB: number; meanMiB: number };
  readonly liveHeap: { peakMiB: number; meanMiB: number };
  readonly store: string;
}

async function sample(mode: 'steady' | 'recovery', budget: Budget, store: string): Promise<ChildReport> {
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    'bench/memory-child.ts',
    '--mode',
    mode,
    '--jobs',
    String(budget.memoryJobs),
    '--store',
    store,
  ];
  const result = await runCommand(process.execPath, args);
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.code !== 0 || !line.startsWith('{'))
    throw new Error(
      `bench/memory-child.ts --mode ${mode} exited ${result.code}: ${(result.stderr || result.stdout).slice(-400)}`,
    );
  const report = JSON.parse(line) as ChildReport;
  if (report.completed !== report.jobs)
    throw new Error(`memory sample (${mode}) completed ${report.completed} of ${report.jobs} jobs`);
  return report;
}

function perMode(reports: readonly ChildReport[]) {
  return {
    samples: reports.length,
    wallMs: Math.round(mean(reports.map((report) => report.wallMs))),
    crashes: reports.reduce((sum, report) => sum + report.crashes, 0),
    recoveries: reports.reduce((sum, report) => sum + report.recoveries, 0),
    liveHeapPeakMiB: round(mean(reports.map((report) => report.liveHeap.peakMiB)), 2),
    liveHeapMeanMiB: round(mean(reports.map((report) => report.liveHeap.meanMiB)), 2),
    heapUsedPeakMiB: round(mean(reports.map((report) => report.heapUsed.peakMiB)), 2),
    heapUsedMeanMiB: round(mean(reports.map((report) => report.heapUsed.meanMiB)), 2),
    rssPeakMiB: round(mean(reports.map((report) => report.rss.peakMiB)), 2),
    rssMeanMiB: round(mean(reports.map((report) => report.rss.meanMiB)), 2),
  };
}

/** Measures figure 7; uses RedisJobStore on the real server when one answers, else the memory store. */
export async function measureMemory(
  budget: Budget,
  redis: RedisProbe,
  redisUrl: string,
): Promise<Record<string, unknown>> {
  const store = redis.available ? redisUrl : 'memory';
  const steady: ChildReport[] = [];
  const recovery: ChildReport[] = [];
  for (let repetition = 0; repetition < budget.memoryRepetitions; repetition += 1) {
    progress(`memory: steady and recovery samples, ${repetition + 1} of ${budget.memoryRepetitions}`);
    steady.push(await sample('steady', budget, store));
    recovery.push(await sample('recovery', budget, store));
  }
  const calm = perMode(steady);
  const crashing = perMode(recovery);
  const overhead = (during: number, before: number) => round(((during - before) / before) * 100, 1);
  return {
    measured: true,
    meaning: `one process, ${budget.memoryJobs} real Workers in real time (1 s leases) each taking a 30-chunk job on ${redis.available ? 'RedisJobStore (real server)' : 'the memory store'}; recovery: each worker's first incarnation crashes mid-transcription and a replacement recovers after the lease expires. heapUsed and RSS sampled every 5 ms, the live heap (heapUsed right after a forced full GC) every 100 ms; overhead = recovery / steady − 1; a crashed worker is dropped, so the GC frees it as a dead process would be freed`,
    store: redis.available ? 'redis' : 'memory',
    steady: calm,
    recovery: crashing,
    overheadPercent: {
      liveHeapPeak: overhead(crashing.liveHeapPeakMiB, calm.liveHeapPeakMiB),
      liveHeapMean: overhead(crashing.liveHeapMeanMiB, calm.liveHeapMeanMiB),
      heapUsedPeak: overhead(crashing.heapUsedPeakMiB, calm.heapUsedPeakMiB),
      heapUsedMean: overhead(crashing.heapUsedMeanMiB, calm.heapUsedMeanMiB),
      rssPeak: overhead(crashing.rssPeakMiB, calm.rssPeakMiB),
      rssMean: overhead(crashing.rssMeanMiB, calm.rssMeanMiB),
    },
    seedDocumentPercentMax: 10,
  };
}
