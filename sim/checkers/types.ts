/** What a checker returns: violations, never exceptions. */
import type { RunRecord } from '../world.js';

/** The promises of DESIGN.md. */
export type PromiseId = 'P1' | 'P2' | 'P3' | 'P4' | 'P5' | 'P6' | 'P7' | 'P8' | 'P9' | 'P10' | 'P11';

/** One broken promise, with where and when it broke. */
export interface Violation {
  readonly promise: PromiseId;
  readonly job?: string;
  readonly message: string;
  /** Index of the history entry where it broke, when one can be named. */
  readonly entry?: number;
}

/** A checker reads a finished run and lists the promise's violations. */
export type Checker = (record: RunRecord) => Violation[];

/** True for P1 (liveness); every other promise is a safety property. */
export function isLiveness(promise: PromiseId): boolean {
  return promise === 'P1';
}
