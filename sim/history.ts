/**
 * The recorded history of a run: every port call and its reply, every lease grant, commit and
 * transcriber call as applied, every fault, crash, pause and worker start. Checkers read it; the
 * fingerprint hashes it, so equal seeds give equal fingerprints byte for byte.
 */
import { createHash } from 'node:crypto';

/** One thing that happened, at virtual time `t`. */
export type HistoryEntry =
  | {
      readonly t: number;
      readonly kind: 'call';
      readonly actor: string;
      readonly op: string;
      readonly target: string;
      readonly result: string;
    }
  | {
      readonly t: number;
      readonly kind: 'grant';
      readonly actor: string;
      readonly job: string;
      readonly epoch: number;
      readonly leaseUntilMs: number;
      readonly recovery: boolean;
    }
  | {
      readonly t: number;
      readonly kind: 'renew';
      readonly actor: string;
      readonly job: string;
      readonly epoch: number;
      readonly leaseUntilMs: number;
    }
  | {
      readonly t: number;
      readonly kind: 'release';
      readonly actor: string;
      readonly job: string;
      readonly epoch: number;
    }
  | {
      readonly t: number;
      readonly kind: 'commit';
      readonly actor: string;
      readonly job: string;
      readonly index: number;
      readonly epoch: number;
    }
  | {
      readonly t: number;
      readonly kind: 'transcribe';
      readonly actor: string;
      readonly job: string;
      readonly index: number;
      readonly digest: string;
    }
  | {
      readonly t: number;
      readonly kind: 'file';
      readonly actor: string;
      readonly job: string;
      readonly op: string;
      readonly index?: number;
    }
  | { readonly t: number; readonly kind: 'fault'; readonly label: string }
  | {
      readonly t: number;
      readonly kind: 'worker';
      readonly actor: string;
      readonly what: 'start' | 'crash' | 'stop' | 'pause' | 'resume' | 'error';
      readonly detail?: string;
    }
  | { readonly t: number; readonly kind: 'phase'; readonly what: 'liveness' };

/** An append-only log of a run. */
export class History {
  readonly entries: HistoryEntry[] = [];
  /** The hash of the first {@link hashed} entries; the fingerprint only ever hashes the entries added since. */
  private readonly hash = createHash('sha256');
  private hashed = 0;

  /** Per entry, whether {@link call} made it (its keys in a known order): serialised without JSON.stringify. */
  private readonly madeByCall: boolean[] = [];

  /** The positions of each kind's entries, in order (see {@link positionsOf}); covers the first {@link indexed}. */
  private readonly byKind = new Map<HistoryEntry['kind'], number[]>();
  private indexed = 0;

  add(entry: HistoryEntry): void {
    this.entries.push(entry);
    this.madeByCall.push(false);
    this.index(entry.kind);
  }

  /** Adds a port call's entry: the same entry {@link add} takes, with its keys in the order its serialiser writes. */
  call(t: number, actor: string, op: string, target: string, result: string): void {
    this.entries.push({ t, kind: 'call', actor, op, target, result });
    this.madeByCall.push(true);
    this.index('call');
  }

  /**
   * The positions of the entries of the given kinds, in history order. The checkers read a few kinds each: a list per
   * kind spares them a pass over every entry, and reading `kind` from entries of ten shapes, each time.
   */
  positionsOf(...kinds: readonly HistoryEntry['kind'][]): readonly number[] {
    // Entries pushed onto `entries` directly are indexed here, late.
    if (this.indexed !== this.entries.length) this.reindex();
    if (kinds.length === 1) return this.byKind.get(kinds[0] as HistoryEntry['kind']) ?? [];
    const positions: number[] = [];
    for (const kind of kinds) for (const position of this.byKind.get(kind) ?? []) positions.push(position);
    return positions.sort((left, right) => left - right);
  }

  private index(kind: HistoryEntry['kind']): void {
    if (this.indexed !== this.entries.length - 1) return this.reindex();
    const positions = this.byKind.get(kind);
    if (positions === undefined) this.byKind.set(kind, [this.indexed]);
    else positions.push(this.indexed);
    this.indexed += 1;
  }

  private reindex(): void {
    this.byKind.clear();
    this.indexed = 0;
    for (const entry of this.entries) {
      const positions = this.byKind.get(entry.kind);
      if (positions === undefined) this.byKind.set(entry.kind, [this.indexed]);
      else positions.push(this.indexed);
      this.indexed += 1;
    }
  }

  /**
   * sha256 over the canonical JSON of every entry, each followed by a newline, first 16 hex digits. Incremental:
   * each entry is serialised and hashed once, however often the fingerprint is asked (and never when it is not).
   */
  fingerprint(): string {
    const { entries } = this;
    if (this.hashed < entries.length) {
      let text = '';
      for (let index = this.hashed; index < entries.length; index += 1) {
        const entry = entries[index] as HistoryEntry;
        text += `${this.madeByCall[index] === true ? callJson(entry as CallEntry) : JSON.stringify(entry)}\n`;
        // One update per few dozen kB: few crossings into the hash, no large string held.
        if (text.length >= 1 << 16) {
          this.hash.update(text);
          text = '';
        }
      }
      if (text.length > 0) this.hash.update(text);
      this.hashed = entries.length;
    }
    return this.hash.copy().digest('hex').slice(0, 16);
  }
}

type CallEntry = Extract<HistoryEntry, { kind: 'call' }>;

/** Strings JSON writes as they are, between quotes: no quote, backslash, control or non-ASCII character. */
// eslint-disable-next-line no-control-regex -- the control characters are what JSON escapes
const plainJsonString = /^[^"\\\u0000-\u001f\u007f-\uffff]*$/;

function jsonString(value: string): string {
  return plainJsonString.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * `JSON.stringify(entry)` for an entry {@link History.call} made, byte for byte (its keys are in this order, `t` is a
 * finite number), in about half the time: calls are most of a history, and the fingerprint serialises every entry.
 */
function callJson(entry: CallEntry): string {
  return `{"t":${entry.t},"kind":"call","actor":${jsonString(entry.actor)},"op":${jsonString(entry.op)},"target":${jsonString(entry.target)},"result":${jsonString(entry.result)}}`;
}
