// `npm run sim`: the simulator's command line, loaded compiled (see compiled.mjs) rather than through tsx, so the
// process plays runs as fast as its pool threads do. package.json starts it with a young generation large enough
// that a run's short-lived objects die there, and jit.mjs sets V8's inlining budget before anything runs hot (see
// docs/performance.md).
import './jit.mjs';
import { importCompiled } from './compiled.mjs';

const { main } = await importCompiled('sim/cli');
process.exitCode = await main(process.argv.slice(2));
