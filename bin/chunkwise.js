#!/usr/bin/env node
// The chunkwise command. It runs the compiled dispatcher: dist/bin/main.js beside the package's dist/ (an installed
// package always has it: `npm pack` builds it). Only in a checkout without dist/ does it load the TypeScript
// dispatcher through tsx, a development dependency; `npm run build` makes dist/ and is then what runs.
import { existsSync } from 'node:fs';

const compiled = [new URL('./main.js', import.meta.url), new URL('../dist/bin/main.js', import.meta.url)].find(
  (candidate) => existsSync(candidate),
);
let entry;
if (compiled !== undefined) {
  entry = compiled.href;
} else {
  const source = new URL('./main.ts', import.meta.url);
  let register;
  try {
    if (!existsSync(source)) throw new Error(`${source.pathname} is missing too`);
    ({ register } = await import('tsx/esm/api'));
  } catch (error) {
    process.stderr.write(
      `chunkwise: the compiled command (dist/bin/main.js) is missing and the sources cannot be loaded ` +
        `(${error.message}); in a checkout run npm ci, then npm run build\n`,
    );
    process.exit(70);
  }
  register();
  entry = source.href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
