// Preloaded by bench/paired.ts (`node --import`): as the process exits, writes its CPU time (every thread: user and
// system, from getrusage) and its wall time on one last line of stderr, for the parent to read.
import { performance } from 'node:perf_hooks';

const startedMs = performance.now();
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  const cpuMs = (user + system) / 1000;
  process.stderr.write(`\nchunkwise-cpu ${JSON.stringify({ cpuMs, wallMs: performance.now() - startedMs })}\n`);
});
