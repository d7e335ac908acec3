// V8's settings for the simulator's processes, set as this module loads, before any of the simulator's code runs
// hot: sim/run.mjs (`npm run sim`) and `chunkwise sim` import it first, and package.json preloads it for the bench
// and the profile (`node --import ./sim/jit.mjs`). Plain JavaScript, so it runs before any TypeScript loads.
//
// A campaign's CPU time is mostly warm-up: the first 400 runs of a process cost about 5.5 CPU-seconds, the next 400
// about 2, and much of the difference is TurboFan compiling (on background threads, counted in the process's CPU
// time) and recompiling functions that deoptimise as new runs bring new shapes. TurboFan inlines callees into a
// function up to 920 bytes of bytecode by default; at 100 a compile is smaller and cheaper, a deoptimisation throws
// less away, and the steady state is as fast (docs/performance.md, "How `npm run sim` runs"). V8's flags are the
// process's, so pool threads compile under them too. A compiler heuristic only: results are the same bytes.
import { setFlagsFromString } from 'node:v8';

/** The V8 flags this module sets. */
export const jitFlags = ['--max-inlined-bytecode-size-cumulative=100'];

for (const flag of jitFlags) setFlagsFromString(flag);
