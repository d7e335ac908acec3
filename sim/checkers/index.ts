/**
 * The promise registry: one module per promise, each exporting `promise` ({ id, title, liveness, check }).
 * {@link PromiseId}, {@link promiseRange} ("P1–P11") and {@link checkAll} derive from the list below, so a
 * new promise is one new module and one line here (docs/DESIGN.md, "Add a promise").
 */
import type { RunRecord } from '../world.js';
import { promise as p1 } from './p1-recovery.js';
import { promise as p2 } from './p2-no-reprocessing.js';
import { promise as p3 } from './p3-one-commit.js';
import { promise as p4 } from './p4-one-owner.js';
import { promise as p5 } from './p5-events.js';
import { promise as p6 } from './p6-progress.js';
import { promise as p7 } from './p7-result.js';
import { promise as p8 } from './p8-cleanup.js';
import { promise as p9 } from './p9-degradation.js';
import { promise as p10 } from './p10-corruption.js';
import { promise as p11 } from './p11-bounded-attempts.js';
import type { Checker, PromiseSpec, Violation } from './types.js';

export { definePromise, type Checker, type PromiseSpec, type Violation } from './types.js';

/** Every promise the engine makes, in order. */
export const promises = [p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11] as const;

/** The id of one of the engine's promises. */
export type PromiseId = (typeof promises)[number]['id'];

/** The promises as a range for messages: "P1–P11". */
export const promiseRange = `${p1.id}–${p11.id}`;

/** The checkers keyed by promise. */
export const checkers = Object.fromEntries(promises.map((spec) => [spec.id, spec.check])) as Readonly<
  Record<PromiseId, Checker>
>;

/**
 * The registry's promises followed by `extra`; throws a TypeError when an id appears twice, so a promise of the
 * caller's own never shadows one of the engine's.
 */
export function promiseList(extra: readonly PromiseSpec[] = []): readonly PromiseSpec[] {
  const all: readonly PromiseSpec[] = [...promises, ...extra];
  const seen = new Set<string>();
  for (const spec of all) {
    if (seen.has(spec.id)) throw new TypeError(`promise id ${spec.id} is used twice`);
    seen.add(spec.id);
  }
  return all;
}

/** True when `id` names a liveness promise of the registry or of `extra`. */
export function isLiveness(id: string, extra: readonly PromiseSpec[] = []): boolean {
  return [...promises, ...extra].some((spec) => spec.id === id && spec.liveness);
}

/** Every violation of every promise (the registry's, then `extra`) in `record`. */
export function checkAll(record: RunRecord, extra: readonly PromiseSpec[] = []): Violation[] {
  const all = extra.length === 0 ? promises : promiseList(extra);
  return all.flatMap((spec) => spec.check(record));
}
