/** chunk_file: a chunk file on disk is deleted, truncated or has a byte flipped, at a time of the fault phase. */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, jobAt, faultFields } from './kind.js';

export interface ChunkFileFault {
  readonly kind: 'chunk_file';
  readonly job: number;
  readonly chunk: number;
  readonly damage: 'delete' | 'truncate' | 'corrupt';
  readonly atMs: number;
}

export const chunkFile = defineFaultKind<ChunkFileFault>({
  kind: 'chunk_file',
  summary: 'a chunk file is deleted, truncated or has a byte flipped (only a file that exists at that time)',
  glyph: '⚠',
  schema: z.strictObject({
    kind: z.literal('chunk_file'),
    job: faultFields.count,
    chunk: faultFields.count,
    damage: z.enum(['delete', 'truncate', 'corrupt']),
    atMs: faultFields.count,
  }),
  arbitrary: (bounds) => {
    const { job, atMs } = commonDraws(bounds);
    return fc.record({
      kind: fc.constant('chunk_file'),
      job,
      chunk: fc.integer({ min: 0, max: bounds.chunksMax - 1 }),
      damage: fc.constantFrom('delete', 'truncate', 'corrupt'),
      atMs,
    });
  },
  label: (fault) => `chunk[j${fault.job}/${fault.chunk}].${fault.damage}@${fault.atMs}ms`,
  resolve: (fault, shape) => {
    const job = fault.job % shape.jobs.length;
    return { ...fault, job, chunk: fault.chunk % (shape.jobs[job]?.chunks ?? 1) };
  },
  acts: {
    atTime: async (fault, host) => {
      const spec = jobAt(host.shape, fault.job);
      if (spec === undefined) return;
      const index = fault.chunk % spec.chunks;
      const data = host.files.peek(spec.id, index);
      if (data === undefined) return;
      host.fire(fault, spec.id);
      host.markDamagedChunk(spec.id, index);
      if (fault.damage === 'delete') host.files.deleteFile(spec.id, index);
      if (fault.damage === 'truncate') host.files.overwrite(spec.id, index, data.slice(0, data.length >> 1));
      if (fault.damage === 'corrupt') {
        const copy = data.slice();
        copy[0] = (copy[0] ?? 0) ^ 0xff;
        host.files.overwrite(spec.id, index, copy);
      }
      host.fileDamaged(spec.id, index, fault.damage);
    },
  },
  neverIn: { queued: 'no chunk file exists before chunking' },
});
