// Worker-thread entry: lets the thread load TypeScript, then hands over to the batch runner.
import { register } from 'tsx/esm/api';

register();
const { default: runBatch } = await import('./pool-task.ts');
export default runBatch;
