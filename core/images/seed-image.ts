import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * The seed image `cirros`: real bytes, generated rather than committed or downloaded
 * (the network is closed at run time). The stream is the AES-256-CTR keystream of a key
 * derived from a fixed seed (a standard, fast, deterministic generator), so every machine
 * produces the same 4 MiB and therefore the same digest, which is computed here and never
 * hard-coded.
 */
export const SEED_IMAGE_NAME = 'cirros';
export const SEED_IMAGE_SIZE_BYTES = 4 * 1024 * 1024;

const SEED = 'nimbus seed image cirros v1';
const CHUNK = 64 * 1024;

/** The image's bytes as a stream; each call starts a fresh, identical stream. */
export function seedImageStream(sizeBytes: number = SEED_IMAGE_SIZE_BYTES): Readable {
  const key = createHash('sha256').update(SEED).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= sizeBytes) {
        this.push(null);
        return;
      }
      const length = Math.min(CHUNK, sizeBytes - offset);
      offset += length;
      this.push(cipher.update(zeros.subarray(0, length)));
    },
  });
}

let memo: Promise<string> | undefined;

/** The seed image's SHA-256, computed by streaming it once per process. */
export function seedImageSha256(): Promise<string> {
  memo ??= (async () => {
    const hash = createHash('sha256');
    for await (const chunk of seedImageStream()) hash.update(chunk as Buffer);
    return hash.digest('hex');
  })();
  return memo;
}
