#!/usr/bin/env node
// The chunkwise command: loads the TypeScript sources through tsx, then dispatches a subcommand.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
