import { mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from './atomic-write.js';
import { assertSha256 } from './errors.js';
import { ImageDownloader, type DownloadableImage, type ImageDownloaderOptions, type ProgressFn } from './image-downloader.js';
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

export interface NodeImageCacheOptions extends ImageDownloaderOptions {
  /** The node's state directory (core/config.ts `nodeDir`); the cache is `<nodeDir>/images`. */
  nodeDir: string;
}

interface Flight {
  promise: Promise<string>;
  controller: AbortController;
  listeners: Set<ProgressFn>;
  waiters: number;
}

/**
 * Downloads in progress in this process, keyed by destination file, so that concurrent
 * builds of one image on a node share a download even through separate cache objects.
 */
const inFlight = new Map<string, Flight>();

const SHA256_NAME = /^[0-9a-f]{64}$/;

/**
 * One compute node's image cache (Nova's `_base` directory): `<root>/<sha256>` holds
 * verified images only, because a download lands in `<root>/partial/<sha256>.part` and
 * is renamed into place after its SHA-256 and size match. A broken download resumes
 * from the bytes already on disk with an HTTP Range request.
 */
export class NodeImageCache {
  readonly root: string;
  private readonly partialDir: string;
  private readonly inUseFile: string;
  private readonly downloader: ImageDownloader;
  private inUse: Map<string, Set<string>> | undefined;
  /** Serialises in-use updates so concurrent mark/release never lose one another. */
  private inUseChain: Promise<unknown> = Promise.resolve();

  constructor(opts: NodeImageCacheOptions) {
    this.root = path.join(opts.nodeDir, 'images');
    this.partialDir = path.join(this.root, 'partial');
    this.inUseFile = path.join(this.root, 'in-use.json');
    this.downloader = new ImageDownloader(opts);
  }

  /** Where a cached image lives (whether or not it is there yet). */
  pathOf(sha256: string): string {
    return path.join(this.root, assertSha256(sha256));
  }

  async ensure(image: CacheableImage, opts: EnsureOptions = {}): Promise<EnsureResult> {
    assertSha256(image.sha256);
    if (!Number.isSafeInteger(image.sizeBytes) || image.sizeBytes < 0) throw new RangeError(`bad image size ${image.sizeBytes}`);
    opts.signal?.throwIfAborted();
    const dest = this.pathOf(image.sha256);
    if (await this.touchIfCached(dest, image.sizeBytes)) return { path: dest, downloaded: false };

    opts.signal?.throwIfAborted();
    let flight = inFlight.get(dest);
    // A download every caller abandoned is winding down: queue a fresh one behind it.
    if (!flight || flight.controller.signal.aborted) flight = this.startDownload(dest, image, flight?.promise);
    flight.waiters += 1;
    if (opts.onProgress) flight.listeners.add(opts.onProgress);
    try {
      return { path: await raceAbort(flight.promise, opts.signal), downloaded: true };
    } finally {
      flight.waiters -= 1;
      if (opts.onProgress) flight.listeners.delete(opts.onProgress);
      // Only when every caller gave up does the shared download stop.
      if (flight.waiters === 0 && opts.signal?.aborted) flight.controller.abort(opts.signal.reason);
    }
  }

  /** Records that a domain boots from the image, so eviction keeps it (survives restarts). */
  markInUse(sha256: string, instanceId: string): Promise<void> {
    assertSha256(sha256);
    return this.updateInUse((m) => {
      const users = m.get(sha256) ?? new Set<string>();
      if (users.has(instanceId)) return false;
      m.set(sha256, users.add(instanceId));
      return true;
    });
  }

  /** Idempotent: releasing an image the instance did not hold is fine. */
  release(sha256: string, instanceId: string): Promise<void> {
    assertSha256(sha256);
    return this.updateInUse((m) => {
      const users = m.get(sha256);
      if (!users?.delete(instanceId)) return false;
      if (users.size === 0) m.delete(sha256);
      return true;
    });
  }

  /**
   * Releases every image the instance holds. The undo of a build does not know which
   * image a failed pull or spawn marked (there may be no domain to ask), only the instance.
   */
  releaseInstance(instanceId: string): Promise<void> {
    return this.updateInUse((m) => dropUsers(m, (id) => id === instanceId).length > 0);
  }

  /**
   * Drops the marks of instances that no longer live on this node (a build that moved on
   * or was deleted while the agent was down), so their images become evictable again.
   * Returns the instance ids released.
   */
  async releaseAllExcept(keep: ReadonlySet<string>): Promise<string[]> {
    let released: string[] = [];
    await this.updateInUse((m) => (released = dropUsers(m, (id) => !keep.has(id))).length > 0);
    return released;
  }

  list(): Promise<CachedImage[]> {
    return this.exclusive(() => this.listUnlocked());
  }

  private async listUnlocked(): Promise<CachedImage[]> {
    const inUse = await this.loadInUse();
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const images: CachedImage[] = [];
    for (const sha256 of names.filter((n) => SHA256_NAME.test(n))) {
      const st = await stat(path.join(this.root, sha256)).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
      if (!st) continue;
      images.push({ sha256, sizeBytes: st.size, lastUsed: st.mtime, inUseBy: [...(inUse.get(sha256) ?? [])] });
    }
    return images;
  }

  /**
   * Deletes least recently used images until the cache holds at most maxBytes. Images in
   * use are never deleted, so the total can stay above maxBytes. Runs in the same queue
   * as markInUse: a pull marks its image before it looks for it, so an image is either
   * marked before this scan (kept) or looked for after the delete (downloaded again).
   */
  evict(maxBytes: number): Promise<{ evicted: string[]; totalBytes: number }> {
    return this.exclusive(async () => {
      const images = (await this.listUnlocked()).sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
      let totalBytes = images.reduce((sum, i) => sum + i.sizeBytes, 0);
      const evicted: string[] = [];
      for (const image of images) {
        if (totalBytes <= maxBytes) break;
        if (image.inUseBy.length > 0) continue;
        await rm(this.pathOf(image.sha256), { force: true });
        totalBytes -= image.sizeBytes;
        evicted.push(image.sha256);
      }
      return { evicted, totalBytes };
    });
  }

  /** A present, right-sized file is a verified one (only a verified download is renamed in). */
  private async touchIfCached(dest: string, sizeBytes: number): Promise<boolean> {
    try {
      const st = await stat(dest);
      if (st.size !== sizeBytes) {
        await rm(dest, { force: true });
        return false;
      }
      const now = new Date();
      await utimes(dest, now, now); // mtime is the LRU clock: atime is often off (noatime)
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private startDownload(dest: string, image: CacheableImage, previous?: Promise<unknown>): Flight {
    const controller = new AbortController();
    const listeners = new Set<ProgressFn>();
    const broadcast: ProgressFn = (done, total) => {
      for (const listener of listeners) {
        try {
          listener(done, total);
        } catch {
          // A failing progress callback must not break a download others share.
        }
      }
    };
    // One writer per partial file: wait for the previous download to let go of it.
    const start = (previous ?? Promise.resolve()).catch(() => undefined);
    const promise = start
      .then(() => this.download(dest, image, controller.signal, broadcast))
      .finally(() => {
        if (inFlight.get(dest) === flight) inFlight.delete(dest);
      });
    promise.catch(() => undefined); // abandoned by every caller: not an unhandled rejection
    const flight: Flight = { promise, controller, listeners, waiters: 0 };
    inFlight.set(dest, flight);
    return flight;
  }

  private async download(dest: string, image: CacheableImage, signal: AbortSignal, progress: ProgressFn): Promise<string> {
    signal.throwIfAborted();
    // The download this one queued behind may have finished the job.
    if (await this.touchIfCached(dest, image.sizeBytes)) return dest;
    await mkdir(this.partialDir, { recursive: true });
    const partial = path.join(this.partialDir, `${image.sha256}.part`);
    await this.downloader.download(image, partial, signal, progress);
    await fsync(partial);
    await rename(partial, dest);
    return dest;
  }

  /** Runs `fn` after every earlier in-use update or eviction, and before any later one. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.inUseChain.then(fn);
    this.inUseChain = run.catch(() => undefined);
    return run;
  }

  private updateInUse(change: (m: Map<string, Set<string>>) => boolean): Promise<void> {
    return this.exclusive(async () => {
      // Change a copy: if the write fails, memory still matches the file.
      const m = new Map([...(await this.loadInUse())].map(([sha, users]) => [sha, new Set(users)]));
      if (!change(m)) return;
      const json: Record<string, string[]> = {};
      for (const [sha, users] of [...m].sort(([a], [b]) => a.localeCompare(b))) json[sha] = [...users].sort();
      await writeJsonAtomic(this.inUseFile, json);
      this.inUse = m;
    });
  }

  private async loadInUse(): Promise<Map<string, Set<string>>> {
    if (this.inUse) return this.inUse;
    let json: Record<string, string[]> = {};
    try {
      json = JSON.parse(await readFile(this.inUseFile, 'utf8')) as Record<string, string[]>;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.inUse = new Map(Object.entries(json).map(([sha, users]) => [sha, new Set(users)]));
    return this.inUse;
  }
}

/** Removes the matching users from every image (in place); returns who was removed. */
function dropUsers(m: Map<string, Set<string>>, drop: (instanceId: string) => boolean): string[] {
  const dropped = new Set<string>();
  for (const [sha, users] of m) {
    for (const id of users) {
      if (!drop(id)) continue;
      users.delete(id);
      dropped.add(id);
    }
    if (users.size === 0) m.delete(sha);
  }
  return [...dropped].sort();
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}
