/** P2 No reprocessing: no transcriber call for a chunk is issued after that chunk's transcript was committed. */
import { definePromise, type Checker, type Violation } from './types.js';

export const checkNoReprocessing: Checker = (record) => {
  const violations: Violation[] = [];
  const committed = new Set<string>();
  const { history } = record;
  for (const position of history.positionsOf('commit', 'transcribe')) {
    const entry = history.entries[position];
    if (entry?.kind === 'commit') committed.add(`${entry.job}/${entry.index}`);
    if (entry?.kind === 'transcribe' && committed.has(`${entry.job}/${entry.index}`)) {
      violations.push({
        promise: 'P2',
        job: entry.job,
        entry: position,
        message: `${entry.actor} called the transcriber for chunk ${entry.index} after it was committed`,
      });
    }
  }
  return violations;
};

/** P2 No reprocessing, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({
  id: 'P2',
  title: 'No reprocessing',
  liveness: false,
  check: checkNoReprocessing,
});
