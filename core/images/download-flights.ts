import type { ProgressFn } from './image-downloader.js';

/** Starts the actual download; `progress` reaches every caller sharing it. */
export type DownloadFn = (signal: AbortSignal, progress: ProgressFn) => Promise<string>;

export interface JoinOptions {
  onProgress?: ProgressFn;
  /** This caller giving up; the download itself stops only when every caller has. */
  signal?: AbortSignal;
}

interface Flight {
  promise: Promise<string>;
  controller: AbortController;
  listeners: Set<ProgressFn>;
  waiters: number;
}

/**
 * Single-flight downloads, keyed by destination file: concurrent callers share one
 * download, each with its own progress callback and its own cancellation. Everything that
 * touches one key's partial file (a download, a download queued behind one every caller
 * abandoned, the removal of a stale partial) runs one at a time, so there is one writer.
 */
export class DownloadFlights {
  private readonly flights = new Map<string, Flight>();
  /** The last piece of work queued on each key. */
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Joins the download of `key`, starting one with `download` if none is running. */
  async join(key: string, download: DownloadFn, opts: JoinOptions = {}): Promise<string> {
    let flight = this.flights.get(key);
    // A download every caller abandoned is winding down: queue a fresh one behind it.
    if (!flight || flight.controller.signal.aborted) flight = this.start(key, download);
    flight.waiters += 1;
    if (opts.onProgress) flight.listeners.add(opts.onProgress);
    try {
      return await raceAbort(flight.promise, opts.signal);
    } finally {
      flight.waiters -= 1;
      if (opts.onProgress) flight.listeners.delete(opts.onProgress);
      // Only when every caller gave up does the shared download stop.
      if (flight.waiters === 0 && opts.signal?.aborted) flight.controller.abort(opts.signal.reason);
    }
  }

  /**
   * Runs `fn` on `key`'s files if no download of it is running or queued, and returns
   * undefined without running it otherwise. A download that starts meanwhile waits for `fn`.
   */
  whenIdle<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.flights.has(key)) return Promise.resolve(undefined);
    return this.serialise(key, fn);
  }

  private start(key: string, download: DownloadFn): Flight {
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
    const promise = this.serialise(key, () => download(controller.signal, broadcast)).finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    });
    promise.catch(() => undefined); // abandoned by every caller: not an unhandled rejection
    const flight: Flight = { promise, controller, listeners, waiters: 0 };
    this.flights.set(key, flight);
    return flight;
  }

  /** Runs `fn` after the work already queued on `key`, whatever its outcome. */
  private serialise<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}

/**
 * The downloads in progress in this process, so that concurrent builds of one image on a
 * node share a download even through separate cache objects.
 */
export const downloadFlights = new DownloadFlights();

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
