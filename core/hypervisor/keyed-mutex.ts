/**
 * One queue per key: tasks with the same key run one after another, in call order, and
 * tasks with different keys run side by side. A task still waiting for its turn stops
 * waiting when its signal aborts (and never runs); one that started runs to its end.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = waitTurn(previous, signal).then(task);
    // The next task waits for this one and for everything before it, even if this one gave up waiting.
    const tail = Promise.allSettled([previous, run]);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}

/** Resolves when the previous task settles; rejects with the signal's reason if it aborts first. */
function waitTurn(previous: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  const settled = previous.then(
    () => undefined,
    () => undefined,
  );
  if (!signal) return settled;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void settled.then(() => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) reject(signal.reason);
      else resolve();
    });
  });
}
