// The extended suite (see extendedTests in vitest.config.ts): npm run test:extended.
import { defineConfig } from 'vitest/config';
import base, { extendedTests } from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: extendedTests,
    exclude: [],
    testTimeout: 180_000,
    reporters: ['default', ['json', { outputFile: 'reports/vitest-extended.json' }]],
  },
});
