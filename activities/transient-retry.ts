import { ApplicationFailure } from '@temporalio/activity';
import { toApplicationFailure } from './failures.js';

export interface TransientRetryOptions {
  /** Give up (rethrow the last error) once this much time has passed. */
  budgetMs: number;
  /** A cancelled step stops retrying at once. */
  signal?: AbortSignal;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Retries a domain call inside the activity while what it throws is transient (PostgreSQL
 * restarting, a dropped connection: what classified() leaves retryable), within a budget.
 * For steps Temporal must not retry on the same host (the claim: a retry would go back to
 * a host that may be frozen), so that a busy database is not taken for a dead host.
 * A refusal of our vocabulary (HostRefused) is final and rethrown at once.
 */
export async function retryTransient<T>(run: () => Promise<T>, options: TransientRetryOptions): Promise<T> {
  const { budgetMs, signal, firstDelayMs = 250, maxDelayMs = 2000 } = options;
  const deadline = Date.now() + budgetMs;
  for (let delay = firstDelayMs; ; delay = Math.min(delay * 2, maxDelayMs)) {
    try {
      return await run();
    } catch (err) {
      const failure = toApplicationFailure(err);
      const final = failure instanceof ApplicationFailure && failure.nonRetryable;
      if (final || signal?.aborted || Date.now() + delay > deadline) throw err;
      await sleep(delay, signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
