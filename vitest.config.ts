import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The extended suite: long campaigns whose power is the number of runs they play (planted bugs found and shrunk,
 * each fault kind earning its place, the heaviest corner, a 250-run campaign, the same campaign through three
 * stores). `npm test` leaves them out to stay within a few minutes; `npm run test:extended` runs them, and CI runs
 * both.
 */
export const extendedTests = [
  'test/sim/planted-bugs.test.ts',
  'test/sim/fault-kinds.test.ts',
  'test/sim/heaviest-corner.test.ts',
  'test/sim/long-campaign.test.ts',
  'test/sim/stores.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...extendedTests],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'sim/**/*.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
      thresholds: {
        'src/core/**/*.ts': { lines: 95, branches: 95 },
      },
    },
  },
});
