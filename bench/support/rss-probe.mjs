// Preloaded (NODE_OPTIONS=--import) into processes the benchmark spawns: on exit, the main thread
// writes the process's peak resident set size to CHUNKWISE_BENCH_RSS_DIR/<pid>.json.
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const directory = process.env.CHUNKWISE_BENCH_RSS_DIR;
if (directory !== undefined && isMainThread) {
  process.on('exit', () => {
    try {
      writeFileSync(
        `${directory}/${process.pid}.json`,
        JSON.stringify({ argv: process.argv, maxRssKiB: process.resourceUsage().maxRSS }),
      );
    } catch {
      // A missing probe file only leaves the peak unmeasured.
    }
  });
}
