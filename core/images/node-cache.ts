import type { Stats } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { downloadFlights } from './download-flights.js';
import { assertSha256 } from './errors.js';
import { isNotFound } from './fs-errors.js';
import {
  ImageDownloader,
  type DownloadableImage,
  type ImageDownloaderOptions,
  type ProgressFn,
} from './image-downloader.js';
import { ImagePins, type Pins } from './image-pins.js';
import { fsync } from './image-store.js';

export type { ProgressFn };

export type CacheableImage = DownloadableImage;

export interface EnsureOptions {
  /**
   * The offset a previous attempt reported (its heartbeat details). The partial file on
   * disk is what actually resumes: bytes written after the last heartbeat are kept, a
   * lost tail is fetched again, and the final checksum catches anything else.
   */
  resumeFrom?: number;
  /** Called with the byte offset at most every `progressEveryBytes`, to heartbeat with. */
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface EnsureResult {
  path: string;
  /** False when the image was already cached; true when this call waited for a download. */
  downloaded: boolean;
}

export interface CachedImage {
  sha256: string;
  sizeBytes: number;
  lastUsed: Date;
  inUseBy: string[];
}

export interface EvictionResult {
  /** Images deleted, least recently used first. */
  evicted: string[];
  /** The SHA-256 of each stale partial download deleted. */
  removedPartials: string[];
  /** What the cache holds afterwards, partial downloads included. */
  totalBytes: number;
}

/**
 * Longer than a pull's retries take (three attempts of at most ten minutes): a partial
 * untouched for this long belongs to a download nobody will resume.
 */
export const DEFAULT_PARTIAL_STALE_MS = 60 * 60 * 1000;

export interface NodeImageCacheOptions extends ImageDownloaderOptions {
  /** The node's state directory (core/config.ts `nodeDir`); the cache is `<nodeDir>/images`. */
  nodeDir: string;
  /** A partial download not written for this long is deleted by `evict` (default one hour). */
  partialStaleMs?: number;
}

interface PartialFile {
  sha256: string;
  sizeBytes: number;
  lastWritten: Date;
}

const SHA256_NAME = /^[0-9a-f]{64}$/;
const PARTIAL_NAME = /^([0-9a-f]{64})\.part$/;

/**
 * One compute node's image cache (Nova's `_base` directory): `<root>/<sha256>` holds
 * verified images only, because a download lands in `<root>/partial/<sha256>.part` and
 * is renamed into place after its SHA-256 and size match. A broken download resumes
 * from the bytes already on disk with an HTTP Range request. Eviction keeps the cache
 * under a size, partial downloads counted, and never deletes an image in use (ImagePins)
 * or a partial that a download is writing or may still resume.
 */
export class NodeImageCache {
  readonly root: string;
  private readonly partialDir: string;
  private readonly partialStaleMs: number;
  private readonly downloader: ImageDownloader;
  private readonly pins: ImagePins;

  constructor(opts: NodeImageCacheOptions) {
    this.root = path.join(opts.nodeDir, 'images');
    this.partialDir = path.join(this.root, 'partial');
    this.partialStaleMs = opts.partialStaleMs ?? DEFAULT_PARTIAL_STALE_MS;
    this.downloader = new ImageDownloader(opts);
    this.pins = new ImagePins(path.join(this.root, 'in-use.json'));
  }

  /** Where a cached image lives (whether or not it is there yet). */
  pathOf(sha256: string): string {
    return path.join(this.root, assertSha256(sha256));
  }

  async ensure(image: CacheableImage, opts: EnsureOptions = {}): Promise<EnsureResult> {
    assertSha256(image.sha256);
    if (!Number.isSafeInteger(image.sizeBytes) || image.sizeBytes < 0) {
      throw new RangeError(`bad image size ${image.sizeBytes}`);
    }
    opts.signal?.throwIfAborted();
    const dest = this.pathOf(image.sha256);
    if (await this.touchIfCached(dest, image.sizeBytes)) return { path: dest, downloaded: false };

    opts.signal?.throwIfAborted();
    const download = (signal: AbortSignal, progress: ProgressFn) => this.download(dest, image, signal, progress);
    return { path: await downloadFlights.join(dest, download, opts), downloaded: true };
  }

  /** Records that a domain boots from the image, so eviction keeps it (survives restarts). */
  markInUse(sha256: string, instanceId: string): Promise<void> {
    return this.pins.mark(sha256, instanceId);
  }

  /** Idempotent: releasing an image the instance did not hold is fine. */
  release(sha256: string, instanceId: string): Promise<void> {
    return this.pins.release(sha256, instanceId);
  }

  /**
   * Releases every image the instance holds. The undo of a build does not know which
   * image a failed pull or spawn marked (there may be no domain to ask), only the instance.
   */
  releaseInstance(instanceId: string): Promise<void> {
    return this.pins.releaseInstance(instanceId);
  }

  /**
   * Drops the marks of instances that no longer live on this node (a build that moved on
   * or was deleted while the agent was down), so their images become evictable again.
   * Returns the instance ids released.
   */
  releaseAllExcept(keep: ReadonlySet<string>): Promise<string[]> {
    return this.pins.releaseAllExcept(keep);
  }

  list(): Promise<CachedImage[]> {
    return this.pins.locked((pins) => this.listImages(pins));
  }

  /**
   * Deletes stale partial downloads, then least recently used images until the cache
   * holds at most maxBytes, fresh partials counted. Images in use and fresh partials are
   * never deleted, so the total can stay above maxBytes. Runs in the same queue as
   * markInUse: a pull marks its image before it looks for it, so an image is either
   * marked before this scan (kept) or looked for after the delete (downloaded again).
   */
  evict(maxBytes: number): Promise<EvictionResult> {
    return this.pins.locked(async (pins) => {
      const removedPartials: string[] = [];
      let totalBytes = 0;
      for (const partial of await this.listPartials()) {
        if (await this.removeIfStale(partial)) removedPartials.push(partial.sha256);
        else totalBytes += partial.sizeBytes;
      }
      const images = (await this.listImages(pins)).sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
      totalBytes += images.reduce((sum, i) => sum + i.sizeBytes, 0);
      const evicted: string[] = [];
      for (const image of images) {
        if (totalBytes <= maxBytes) break;
        if (image.inUseBy.length > 0) continue;
        await rm(this.pathOf(image.sha256), { force: true });
        totalBytes -= image.sizeBytes;
        evicted.push(image.sha256);
      }
      return { evicted, removedPartials, totalBytes };
    });
  }

  private async listImages(pins: Pins): Promise<CachedImage[]> {
    const images: CachedImage[] = [];
    for (const sha256 of (await readdirIfAny(this.root)).filter((n) => SHA256_NAME.test(n))) {
      const st = await statIfAny(path.join(this.root, sha256));
      if (!st) continue;
      images.push({ sha256, sizeBytes: st.size, lastUsed: st.mtime, inUseBy: [...(pins.get(sha256) ?? [])] });
    }
    return images;
  }

  private async listPartials(): Promise<PartialFile[]> {
    const partials: PartialFile[] = [];
    for (const name of await readdirIfAny(this.partialDir)) {
      const sha256 = PARTIAL_NAME.exec(name)?.[1];
      const st = sha256 && (await statIfAny(path.join(this.partialDir, name)));
      if (st) partials.push({ sha256, sizeBytes: st.size, lastWritten: st.mtime });
    }
    return partials;
  }

  /**
   * Deletes a partial nobody has written for `partialStaleMs`, unless a download of its
   * image is running or queued in this process (a stalled server is not an abandoned file).
   */
  private async removeIfStale(partial: PartialFile): Promise<boolean> {
    const isStale = (lastWritten: Date) => Date.now() - lastWritten.getTime() >= this.partialStaleMs;
    if (!isStale(partial.lastWritten)) return false;
    const file = this.partialOf(partial.sha256);
    const removed = await downloadFlights.whenIdle(this.pathOf(partial.sha256), async () => {
      // Looked at again now that no download can be writing it.
      const st = await statIfAny(file);
      if (!st || !isStale(st.mtime)) return false;
      await unlink(file).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      return true;
    });
    return removed === true;
  }

  private partialOf(sha256: string): string {
    return path.join(this.partialDir, `${sha256}.part`);
  }

  /** A present, right-sized file is a verified one (only a verified download is renamed in). */
  private async touchIfCached(dest: string, sizeBytes: number): Promise<boolean> {
    const st = await statIfAny(dest);
    if (!st) return false;
    if (st.size !== sizeBytes) {
      await rm(dest, { force: true });
      return false;
    }
    const now = new Date();
    await utimes(dest, now, now); // mtime is the LRU clock: atime is often off (noatime)
    return true;
  }

  private async download(
    dest: string,
    image: CacheableImage,
    signal: AbortSignal,
    progress: ProgressFn,
  ): Promise<string> {
    signal.throwIfAborted();
    // The download this one queued behind may have finished the job.
    if (await this.touchIfCached(dest, image.sizeBytes)) return dest;
    await mkdir(this.partialDir, { recursive: true });
    const partial = this.partialOf(image.sha256);
    await this.downloader.download(image, partial, signal, progress);
    await fsync(partial);
    await rename(partial, dest);
    return dest;
  }
}

async function readdirIfAny(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

async function statIfAny(file: string): Promise<Stats | null> {
  try {
    return await stat(file);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
