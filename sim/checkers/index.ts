/** Every checker, one per promise; {@link checkAll} runs them all on a finished run. */
import type { RunRecord } from '../world.js';
import { checkRecovery } from './p1-recovery.js';
import { checkNoReprocessing } from './p2-no-reprocessing.js';
import { checkOneCommit } from './p3-one-commit.js';
import { checkOneOwner } from './p4-one-owner.js';
import { checkEvents } from './p5-events.js';
import { checkProgress } from './p6-progress.js';
import { checkResult } from './p7-result.js';
import { checkCleanup } from './p8-cleanup.js';
import { checkDegradation } from './p9-degradation.js';
import { checkCorruption } from './p10-corruption.js';
import { checkBoundedAttempts } from './p11-bounded-attempts.js';
import type { Checker, Violation } from './types.js';

export { isLiveness, type Checker, type PromiseId, type Violation } from './types.js';

/** The checkers keyed by promise. */
export const checkers: Readonly<Record<string, Checker>> = {
  P1: checkRecovery,
  P2: checkNoReprocessing,
  P3: checkOneCommit,
  P4: checkOneOwner,
  P5: checkEvents,
  P6: checkProgress,
  P7: checkResult,
  P8: checkCleanup,
  P9: checkDegradation,
  P10: checkCorruption,
  P11: checkBoundedAttempts,
};

/** Every violation of every promise in `record`. */
export function checkAll(record: RunRecord): Violation[] {
  return Object.values(checkers).flatMap((checker) => checker(record));
}
