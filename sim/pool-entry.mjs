// Worker-thread entry of `--parallel N`: hands over to the batch runner, as plain JavaScript, loaded compiled (see
// compiled.mjs) so threads start without a loader thread or a compile each.
import { importCompiled } from './compiled.mjs';

const { default: runBatch } = await importCompiled('sim/pool-task');
export default runBatch;
