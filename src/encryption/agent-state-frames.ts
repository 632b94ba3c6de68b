import { DecryptionFailedError } from "./errors.js";
import type { SealedBytes } from "./keyring.js";

// How an encrypted agent state file is laid out in the wrapped driver: the plaintext appends,
// each cut into frames of at most FRAME_PLAINTEXT_BYTES, one after the other. A frame is
//
//   magic (1 byte, 0xE1) | key id length (1) | key id (ASCII) | plaintext length (u32 BE) |
//   IV (12) | ciphertext with its tag (plaintext length + 16)
//
// Frames are self-delimiting, so the stored file stays append-only: an append of plaintext
// appends frames. Each frame is bound (AES-GCM additional data) to its session, its file and
// the plaintext offset it starts at, so a frame moved, dropped or reordered fails to decrypt.

/** The first byte of every frame; a file that does not begin with it was stored in clear. */
export const FRAME_MAGIC = 0xe1;

/** The most plaintext one frame holds: 1 MiB (a read decrypts frame by frame). */
export const FRAME_PLAINTEXT_BYTES = 1024 * 1024;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ascii = new TextEncoder();
const fromAscii = new TextDecoder();

/** One frame, parsed: where its plaintext starts, and the sealed bytes. */
export interface Frame extends SealedBytes {
  /** The plaintext offset the frame starts at. */
  plainOffset: number;
  /** Its plaintext length. */
  plainLength: number;
}

/** The bytes of a frame holding `sealed`, whose plaintext is `plainLength` bytes. */
export function encodeFrame(sealed: SealedBytes, plainLength: number): Uint8Array {
  const kid = ascii.encode(sealed.kid);
  const out = new Uint8Array(1 + 1 + kid.length + 4 + IV_BYTES + sealed.ct.length);
  out[0] = FRAME_MAGIC;
  out[1] = kid.length;
  out.set(kid, 2);
  let at = 2 + kid.length;
  new DataView(out.buffer).setUint32(at, plainLength);
  at += 4;
  out.set(sealed.iv, at);
  out.set(sealed.ct, at + IV_BYTES);
  return out;
}

/** Bytes a frame of `plainLength` plaintext bytes under key `kid` takes. */
export function frameSize(kid: string, plainLength: number): number {
  return 2 + kid.length + 4 + IV_BYTES + plainLength + TAG_BYTES;
}

/** Whether `stored` is framed (or empty), as opposed to a file written in clear before encryption. */
export function isFramed(stored: Uint8Array): boolean {
  return stored.length === 0 || stored[0] === FRAME_MAGIC;
}

/**
 * The frames of a stored file, in order. Only headers are read: nothing is decrypted here.
 * @throws DecryptionFailedError ("malformed") when a frame is cut short or its header is wrong.
 */
export function parseFrames(stored: Uint8Array, where: string): Frame[] {
  const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  const frames: Frame[] = [];
  let at = 0;
  let plainOffset = 0;
  while (at < stored.length) {
    const malformed = (why: string): DecryptionFailedError =>
      new DecryptionFailedError("malformed", `${where} (frame ${frames.length} at byte ${at})`, undefined, { cause: new Error(why) });
    if (stored[at] !== FRAME_MAGIC) throw malformed("no frame marker");
    if (at + 2 > stored.length) throw malformed("cut short");
    const kidLength = stored[at + 1]!;
    const headerEnd = at + 2 + kidLength + 4 + IV_BYTES;
    if (kidLength === 0 || headerEnd > stored.length) throw malformed("cut short");
    const kid = fromAscii.decode(stored.subarray(at + 2, at + 2 + kidLength));
    const plainLength = view.getUint32(at + 2 + kidLength);
    const end = headerEnd + plainLength + TAG_BYTES;
    if (end > stored.length) throw malformed("cut short");
    frames.push({
      kid,
      plainOffset,
      plainLength,
      iv: stored.subarray(headerEnd - IV_BYTES, headerEnd),
      ct: stored.subarray(headerEnd, end),
    });
    plainOffset += plainLength;
    at = end;
  }
  return frames;
}

/** The plaintext size of a framed file (headers only). */
export function plaintextSize(frames: readonly Frame[]): number {
  const last = frames.at(-1);
  return last === undefined ? 0 : last.plainOffset + last.plainLength;
}
