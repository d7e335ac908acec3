// Writes the README's examples into the consumer project as modules, so that the consumer test typechecks and runs
// them as they are written. An example is the ```ts block after a line `<!-- consumer: NAME.ts -->`; the service
// example gets the project's fixture in place of its production paths, key and signal (each swap must match once,
// so an example that drifts from what the test expects fails here, loudly).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [readmePath, outDir] = process.argv.slice(2);
if (readmePath === undefined || outDir === undefined) {
  console.error('usage: node extract-readme.mjs README.md OUT_DIR');
  process.exit(64);
}
const readme = readFileSync(readmePath, 'utf8');
const blocks = new Map();
for (const match of readme.matchAll(/<!-- consumer: ([\w-]+\.ts) -->\s*```ts\n([\s\S]*?)```/g))
  blocks.set(match[1], match[2]);

const swaps = {
  'readme-service.ts': [
    ["'/var/lib/chunks'", 'fixture.chunksDir'],
    ["'/media/talk.wav'", 'fixture.source'],
    ["'job-42'", 'fixture.jobId'],
    ["new OpenAITranscriber({ model: 'whisper-1' })", 'fixture.transcriber'],
    ['url: process.env.REDIS_URL', 'keyPrefix: fixture.keyPrefix, url: process.env.REDIS_URL'],
    ["process.once('SIGTERM',", "fixture.stopSignal.once('SIGTERM',"],
  ],
  'readme-sim.ts': [],
  'readme-user-code.ts': [],
};
for (const [name, replacements] of Object.entries(swaps)) {
  let code = blocks.get(name);
  if (code === undefined) {
    console.error(`extract-readme: ${readmePath} has no block marked <!-- consumer: ${name} -->`);
    process.exit(1);
  }
  for (const [from, to] of replacements) {
    const count = code.split(from).length - 1;
    if (count !== 1) {
      console.error(`extract-readme: ${name}: expected ${from} once in the README's example, found it ${count} times`);
      process.exit(1);
    }
    code = code.replace(from, to);
  }
  const header = replacements.length === 0 ? '' : "import { fixture } from './fixture.js';\n";
  writeFileSync(
    path.join(outDir, name),
    `// Extracted from README.md by extract-readme.mjs.\n${header}${code}export {};\n`,
  );
}
