import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageChecksumMismatchError, ImageDownloadError, ImageNotFoundError } from './errors.js';
import { parseContentRange } from './range.js';

export interface DownloadableImage {
  id: string;
  sha256: string;
  sizeBytes: number;
}

export type ProgressFn = (done: number, total: number) => void;

export interface ImageDownloaderOptions {
  /** The image service (NIMBUS_API_URL). */
  baseUrl: string;
  /** Bearer token for the image service. */
  token: string;
  /** Progress granularity: heartbeats need an offset now and then, not per chunk. */
  progressEveryBytes?: number;
  fetch?: typeof fetch;
}

/**
 * Brings a partial file to a verified copy of one image over HTTP: resumes from the bytes
 * already in the file with `Range: bytes=N-`, hashes as it writes (the existing bytes
 * first), and checks SHA-256 and size at the end. It never renames: the caller decides
 * where a verified file goes.
 */
export class ImageDownloader {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly progressEvery: number;
  private readonly fetchFn: typeof fetch;

  constructor(opts: ImageDownloaderOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.progressEvery = opts.progressEveryBytes ?? 256 * 1024;
    this.fetchFn = opts.fetch ?? fetch;
  }

  urlOf(imageId: string): string {
    return `${this.baseUrl}/v1/images/${encodeURIComponent(imageId)}/file`;
  }

  /**
   * Completes `partial` into the image. Throws ImageChecksumMismatchError (partial deleted),
   * ImageNotFoundError, ImageDownloadError (partial kept, to resume) or the abort reason.
   */
  async download(image: DownloadableImage, partial: string, signal: AbortSignal, progress: ProgressFn): Promise<void> {
    let offset = await sizeOf(partial);
    if (offset > image.sizeBytes) {
      await rm(partial, { force: true });
      offset = 0;
    }
    try {
      await this.fetchInto(image, partial, offset, signal, progress);
    } catch (err) {
      if (!(err instanceof ImageChecksumMismatchError) || offset === 0) throw err;
      // Bytes kept from an earlier attempt may be what is wrong (a torn write before a
      // crash): only a mismatch of a whole fresh download condemns the image.
      await this.fetchInto(image, partial, 0, signal, progress);
    }
  }

  private async fetchInto(
    image: DownloadableImage,
    partial: string,
    offset: number,
    signal: AbortSignal,
    progress: ProgressFn,
  ): Promise<void> {
    const total = image.sizeBytes;
    let hash = createHash('sha256');
    if (offset > 0) await hashPrefix(partial, offset, hash);
    let done = offset;

    if (offset < total) {
      const res = await this.request(image.id, offset, signal);
      let append = false;
      if (res.status === 404) {
        await res.body?.cancel();
        throw new ImageNotFoundError(image.id);
      } else if (
        offset > 0 &&
        res.status === 206 &&
        parseContentRange(res.headers.get('content-range'))?.start === offset
      ) {
        append = true;
      } else if (offset > 0 && (res.status === 206 || res.status === 416)) {
        // The server resumed from elsewhere or cannot resume at all: start over.
        await res.body?.cancel();
        return this.fetchInto(image, partial, 0, signal, progress);
      } else if (res.status !== 200) {
        await res.body?.cancel();
        throw new ImageDownloadError(`image service answered ${res.status} for image ${image.id}`, offset);
      }
      if (!append) {
        // A 200 is the whole file: whatever we had is replaced.
        hash = createHash('sha256');
        done = 0;
      }

      const progressEvery = this.progressEvery;
      let reported = done;
      progress(done, total);
      const counter = new Transform({
        transform(chunk: Buffer, _enc, next) {
          // More bytes than registered can only be the wrong image: stop before filling the disk.
          if (done + chunk.length > total) {
            next(new ImageChecksumMismatchError(image, { sha256: null, sizeBytes: done + chunk.length }));
            return;
          }
          hash.update(chunk);
          done += chunk.length;
          if (done - reported >= progressEvery) {
            reported = done;
            progress(done, total);
          }
          next(null, chunk);
        },
      });
      const body = res.body ? Readable.fromWeb(res.body) : Readable.from([]);
      try {
        await pipeline(body, counter, createWriteStream(partial, { flags: append ? 'a' : 'w' }), { signal });
      } catch (err) {
        if (err instanceof ImageChecksumMismatchError) {
          await rm(partial, { force: true });
          throw err;
        }
        if (signal.aborted) throw signal.reason;
        const onDisk = await sizeOf(partial);
        throw new ImageDownloadError(
          `download of image ${image.id} broke at byte ${onDisk} of ${total}: ${message(err)}`,
          onDisk,
          {
            cause: err,
          },
        );
      }
      if (done !== reported) progress(done, total);
    }

    const sha256 = hash.digest('hex');
    if (done !== total || sha256 !== image.sha256) {
      await rm(partial, { force: true });
      throw new ImageChecksumMismatchError(image, { sha256, sizeBytes: done });
    }
  }

  private async request(imageId: string, offset: number, signal: AbortSignal): Promise<Response> {
    const url = this.urlOf(imageId);
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    try {
      return await this.fetchFn(url, { headers, signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new ImageDownloadError(`cannot reach the image service at ${url}: ${message(err)}`, offset, { cause: err });
    }
  }
}

/** Re-hashes the bytes already downloaded, so the digest covers the whole file. */
async function hashPrefix(file: string, length: number, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1 })) hash.update(chunk as Buffer);
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

function message(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  const text = err instanceof Error ? err.message : String(err);
  return cause instanceof Error ? `${text} (${cause.message})` : text;
}
