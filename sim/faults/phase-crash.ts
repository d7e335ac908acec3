/**
 * phase_crash: triggered by the job's phase, not by a call count: the first worker to make a call about job `job`
 * while the job is in `phase` is killed, before that call or once it took effect. It reaches the short windows a
 * count rarely hits: the moment between the last commit and the completion (`finalizing`), or the first call of a
 * recoverer that found the job mid-chunking.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, jobAt, faultFields } from './kind.js';

/** The live phases a worker makes calls in. */
type WorkingPhase = 'chunking' | 'transcribing' | 'finalizing';

export interface PhaseCrashFault {
  readonly kind: 'phase_crash';
  readonly job: number;
  readonly phase: WorkingPhase;
  readonly when: 'before' | 'after';
}

export const phaseCrash = defineFaultKind<PhaseCrashFault>({
  kind: 'phase_crash',
  summary: 'the first worker to call about a job while the job is in a given phase is killed there',
  glyph: '↯',
  schema: z.strictObject({
    kind: z.literal('phase_crash'),
    job: faultFields.count,
    phase: z.enum(['chunking', 'transcribing', 'finalizing']),
    when: z.enum(['before', 'after']),
  }),
  arbitrary: (bounds) =>
    fc.record({
      kind: fc.constant('phase_crash'),
      job: commonDraws(bounds).job,
      phase: fc.constantFrom<WorkingPhase>('chunking', 'transcribing', 'finalizing'),
      when: fc.constantFrom('before', 'after'),
    }),
  label: (fault) => `phase_crash(j${fault.job} in ${fault.phase}, ${fault.when} the call)`,
  resolve: (fault, shape) => ({ ...fault, job: fault.job % shape.jobs.length }),
  acts: {
    call: {
      actRank: 0,
      strikes: (fault, call, host) =>
        !host.fired(fault) &&
        call.subject.split('/')[0] === jobAt(host.shape, fault.job)?.id &&
        host.phaseOf(call.subject) === fault.phase,
      act: (fault, _call, actions) => (fault.when === 'before' ? actions.crashBefore() : actions.crashAfter()),
    },
  },
  neverIn: { queued: 'it strikes only in the phase it names, and none names queued' },
});
