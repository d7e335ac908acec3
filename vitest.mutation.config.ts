/**
 * The vitest run `npm run mutation` (Stryker) uses against each mutant of src/core, src/runtime and
 * src/adapters/memory: the unit, property and contract tests of those folders (and the clock's), the chaos scenarios,
 * the mutation-focused tests and a fixed budget of simulated runs. Slow or external tests (CLI and
 * child processes, Redis, ffmpeg, OpenAI, Chromium, planted-bug campaigns) are left out: they do
 * not exercise these folders more than the simulator does. fast-check's seed is fixed so that every
 * run names and generates the same tests.
 */
import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Test files in a fixed order, fastest and most pointed first, so that a mutant is killed (Stryker
 * stops at the first failure) before the slower property, chaos and simulator tests run.
 */
const fileOrder: readonly RegExp[] = [
  /^test\/core\/(?!.*property)/,
  /^test\/mutation\/(?!simulator-budget)/,
  /^test\/adapters\/memory\//,
  /^test\/runtime\//,
  /^test\/core\//,
  /^test\/chaos\//,
  /^test\/mutation\/simulator-budget/,
];

class PointedFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification): number => {
      const path = relative(file.project.config.root, file.moduleId).replaceAll('\\', '/');
      const position = fileOrder.findIndex((pattern) => pattern.test(path));
      return position === -1 ? fileOrder.length : position;
    };
    const key = (file: TestSpecification): string => relative(file.project.config.root, file.moduleId);
    return [...files].sort((a, b) => rank(a) - rank(b) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
}

export default defineConfig({
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/runtime/**/*.test.ts',
      'test/adapters/memory/**/*.test.ts',
      'test/chaos/**/*.test.ts',
      'test/mutation/**/*.test.ts',
      // The clock contract (the system clock and the simulator's). No suite that runs on the real file system or a
      // network: a mutant that drops a guard would act on whatever path or server the test names.
      'test/contracts/clock.test.ts',
    ],
    setupFiles: ['test/mutation/setup.ts'],
    // One module graph per run: Stryker starts a fresh worker for each mutant, so imports (and static
    // mutants) are evaluated once per mutant instead of once per test file.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    sequence: { sequencer: PointedFirstSequencer },
    reporters: ['default'],
  },
});
