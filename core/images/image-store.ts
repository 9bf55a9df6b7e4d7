import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSha256, ImageChecksumMismatchError, ImageTooLargeError } from './errors.js';

export interface StoredImage {
  sha256: string;
  sizeBytes: number;
}

/**
 * The image service's blob store: content-addressed by SHA-256 under
 * `<root>/sha256/<first two hex>/<hex>`. Uploads stream through a hash into a temp file
 * in the same filesystem and are renamed into place, so a blob is either complete and
 * verified or absent, and two uploads of the same bytes share one file.
 */
export class ImageStore {
  private readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
  }

  /**
   * Streams the bytes in (constant memory) and returns their digest. With `expectedSha256`
   * (a checksum the uploader declared) a mismatch stores nothing; past `maxBytes` the stream
   * stops with ImageTooLargeError and nothing is stored.
   */
  async put(
    source: Readable | AsyncIterable<Uint8Array>,
    opts: { expectedSha256?: string; signal?: AbortSignal; maxBytes?: number } = {},
  ): Promise<StoredImage> {
    const maxBytes = opts.maxBytes ?? Infinity;
    if (opts.expectedSha256 !== undefined) assertSha256(opts.expectedSha256);
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = path.join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}.part`);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        if (sizeBytes > maxBytes) return done(new ImageTooLargeError(maxBytes));
        done(null, chunk);
      },
    });
    const out = createWriteStream(tmp);
    try {
      await pipeline(source, hasher, out, { signal: opts.signal });
      await fsync(tmp);
      const sha256 = hash.digest('hex');
      if (opts.expectedSha256 !== undefined && opts.expectedSha256 !== sha256) {
        throw new ImageChecksumMismatchError({ sha256: opts.expectedSha256 }, { sha256, sizeBytes });
      }
      const dest = this.path(sha256);
      if (await this.has(sha256)) {
        await rm(tmp, { force: true });
      } else {
        await mkdir(path.dirname(dest), { recursive: true });
        await rename(tmp, dest);
      }
      return { sha256, sizeBytes };
    } catch (err) {
      // A failed pipeline destroys the file stream, which may still be opening the file: wait for
      // it to close, or the file would appear again after the rm (a leftover .part).
      if (!out.closed) await once(out, 'close').catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
  }

  path(sha256: string): string {
    assertSha256(sha256);
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== null;
  }

  async stat(sha256: string): Promise<{ sizeBytes: number; path: string } | null> {
    const file = this.path(sha256);
    try {
      const st = await stat(file);
      return st.isFile() ? { sizeBytes: st.size, path: file } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** The blob's bytes, or an inclusive slice of them (a parsed Range). */
  createReadStream(sha256: string, range: { start?: number; end?: number } = {}): ReadStream {
    return createReadStream(this.path(sha256), { start: range.start, end: range.end });
  }

  /** Idempotent: removing an absent blob is fine. */
  async remove(sha256: string): Promise<void> {
    await rm(this.path(sha256), { force: true });
  }

  /** Deletes temp files left by uploads a crash interrupted; call at startup, before any put. */
  async removeStaleTemp(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    await Promise.all(names.map((n) => rm(path.join(this.tmpDir, n), { force: true })));
    return names.length;
  }
}

/** Flushes a file's data before it is renamed into place, so a crash never leaves a torn blob. */
export async function fsync(file: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
