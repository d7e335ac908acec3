/** The sha256 digest the chunk stores verify files by. */
import * as crypto from 'node:crypto';

/** One-shot hashing (Node ≥ 20.12), about twice as fast for a small input as a Hash object; absent before. */
const oneShot: typeof crypto.hash | undefined = typeof crypto.hash === 'function' ? crypto.hash : undefined;

/** sha256 of `data` (a string as UTF-8) as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot === undefined
    ? crypto.createHash('sha256').update(data).digest('hex')
    : oneShot('sha256', data, 'hex');
}

/** sha256 of `data` (a string as UTF-8), the 32 bytes. */
export function sha256Bytes(data: string | Uint8Array): Buffer {
  return oneShot === undefined
    ? crypto.createHash('sha256').update(data).digest()
    : (oneShot('sha256', data, 'buffer') as unknown as Buffer);
}
