/**
 * The fault registry: every fault kind the simulator injects, one module each. {@link faultKinds}, the
 * {@link Fault} type, labels, resolution and the report's glyphs all derive from the list below, so a new kind is
 * one new module and one line here (docs/DESIGN.md, "Add a fault kind"). The order is part of the generator:
 * campaigns draw kinds in this order, so a new kind goes last.
 */
import { apiOutage } from './api-outage.js';
import { chunkFile } from './chunk-file.js';
import { clockSkew } from './clock-skew.js';
import { crash } from './crash.js';
import type { FaultKindDefinition, RunShape } from './kind.js';
import { mediaError } from './media-error.js';
import { ownerCrash } from './owner-crash.js';
import { pause } from './pause.js';
import { phaseCrash } from './phase-crash.js';
import { poison } from './poison.js';
import { recoverers } from './recoverers.js';
import { replyLost } from './reply-lost.js';
import { sourceDeleted } from './source-deleted.js';
import { stateCorrupt } from './state-corrupt.js';
import { stop } from './stop.js';
import { storeDown } from './store-down.js';
import { transcriberError } from './transcriber-error.js';

export type * from './kind.js';
export { clockDriftPpmMax, clockOffsetMsMax } from './clock-skew.js';
export { pauseMsMax } from './pause.js';
export type { TranscriberError } from './transcriber-error.js';

/**
 * Version of the scenario format and of the generator's distribution. A replay token or a saved scenario carries
 * it; one made by a version this simulator cannot read is refused with a clear error, never replayed as a
 * different run. Bump it with every change of the list below: a version that only adds kinds keeps the older
 * ones readable (sim/scenario-file.ts). Version 3 added stop, clock_skew, media_error and owner_crash to those of
 * version 2; version 4 added phase_crash; version 5 added the worker loops per process (`concurrency`) and the
 * transcriptions in flight per job (`chunkConcurrency`) to the scenario, both optional (absent: 1 and the limits').
 */
export const scenarioVersion = 5;

/** Every fault kind, in generation order. */
export const faultDefinitions = [
  crash,
  pause,
  storeDown,
  replyLost,
  chunkFile,
  sourceDeleted,
  transcriberError,
  stateCorrupt,
  recoverers,
  apiOutage,
  poison,
  stop,
  clockSkew,
  mediaError,
  ownerCrash,
  phaseCrash,
] as const;

type FaultOf<D> = D extends FaultKindDefinition<infer F> ? F : never;

/** One injected fault, of any kind. */
export type Fault = FaultOf<(typeof faultDefinitions)[number]>;

/** The name of a fault kind. */
export type FaultKind = Fault['kind'];

/** Every fault kind's name, in generation order. */
export const faultKinds: readonly FaultKind[] = faultDefinitions.map((definition) => definition.kind);

const byKind = new Map<string, FaultKindDefinition<Fault>>(
  faultDefinitions.map((definition) => [definition.kind, definition as unknown as FaultKindDefinition<Fault>]),
);

/** The definition of `kind`; a TypeError names an unknown kind and lists the known ones. */
export function faultDefinition<K extends FaultKind>(kind: K): FaultKindDefinition<Extract<Fault, { kind: K }>>;
export function faultDefinition(kind: string): FaultKindDefinition<Fault>;
export function faultDefinition(kind: string): FaultKindDefinition<Fault> {
  const definition = byKind.get(kind);
  if (definition === undefined) {
    throw new TypeError(`unknown fault kind ${JSON.stringify(kind)}; the kinds are ${faultKinds.join(', ')}`);
  }
  return definition;
}

/** A short label for a fault, as it appears in a shrunk counterexample. */
export function faultLabel(fault: Fault): string {
  return faultDefinition(fault.kind).label(fault);
}

/** `fault` with its job, worker and chunk indices read modulo the run's counts, as it acts. */
export function resolveFault(fault: Fault, shape: RunShape): Fault {
  return faultDefinition(fault.kind).resolve(fault, shape);
}

/** The definitions that act at `place`, each with its hook, in registry order. */
export function actingAt<P extends keyof FaultKindDefinition<Fault>['acts']>(
  place: P,
): readonly (FaultKindDefinition<Fault> & { readonly acts: Required<Pick<FaultKindDefinition<Fault>['acts'], P>> })[] {
  return [...byKind.values()].filter((definition) => definition.acts[place] !== undefined) as never;
}
