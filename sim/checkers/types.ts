/** What a promise is to the simulator: an id, a title, and a checker that returns violations, never exceptions. */
import type { RunRecord } from '../world.js';

/** One broken promise, with where and when it broke. */
export interface Violation {
  /** The id of the broken promise: one of the registry's (sim/checkers/index.ts) or a promise of the caller's own. */
  readonly promise: string;
  readonly job?: string;
  readonly message: string;
  /** Index of the history entry where it broke, when one can be named. */
  readonly entry?: number;
}

/** A checker reads a finished run and lists the promise's violations. */
export type Checker = (record: RunRecord) => Violation[];

/**
 * A promise the simulator checks on every run. `liveness` promises (something good eventually happens) are
 * judged only after the fault phase, and their failures exit with their own code; the others are safety
 * promises (nothing bad ever happens). A caller may add promises of its own beside the registry's.
 */
export interface PromiseSpec<Id extends string = string> {
  readonly id: Id;
  readonly title: string;
  readonly liveness: boolean;
  readonly check: (record: RunRecord) => readonly Violation[];
}

/** Checks the shape of a promise and keeps its id's literal type. */
export function definePromise<const Id extends string>(spec: PromiseSpec<Id>): PromiseSpec<Id> {
  if (!/^[A-Za-z][\w.-]*$/.test(spec.id)) {
    throw new TypeError(`a promise id is a word such as "P12" or "no-dupes"; got ${JSON.stringify(spec.id)}`);
  }
  if (spec.title.trim() === '') throw new TypeError(`promise ${spec.id} has an empty title`);
  if (typeof spec.check !== 'function') throw new TypeError(`promise ${spec.id} has no check function`);
  return Object.freeze({ ...spec });
}
