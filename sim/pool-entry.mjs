// Worker-thread entry of `--parallel N`: hands over to the batch runner. Compiled (dist/sim/pool-task.js beside this
// file) it is plain JavaScript; in a checkout running the TypeScript sources the thread loads them through tsx first.
import { existsSync } from 'node:fs';

const compiled = new URL('./pool-task.js', import.meta.url);
let entry = compiled.href;
if (!existsSync(compiled)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('./pool-task.ts', import.meta.url).href;
}
const { default: runBatch } = await import(entry);
export default runBatch;
