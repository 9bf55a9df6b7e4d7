/**
 * A counting semaphore for spawns (NIMBUS_MAX_CONCURRENT_BUILDS): at most `limit` run at
 * once, the rest wait in call order. Concurrent TCG boots are CPU-bound (4 at once take
 * 22-26 s on 2 cores), so a host boots a few at a time and queues the others rather than
 * slowing every guest past its boot timeout. Only spawns queue here, not the whole compute
 * queue: Temporal's `maxConcurrentActivityTaskExecutions` would also hold back claims,
 * pulls, deletes and their undos behind slow boots. A spawn waits inside its activity,
 * which keeps heartbeating (activities/heartbeat.ts), so its heartbeat timeout never fires
 * while it waits; one whose signal aborts (DELETE during the build) leaves the queue.
 */
export class SpawnGate {
  private active = 0;
  private readonly waiting: Array<{ start: () => void }> = [];

  constructor(private max = Infinity) {}

  get limit(): number {
    return this.max;
  }

  /** Spawns running now and waiting, for logs and tests. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  /** The limit once the driver knows its accelerator; waiters that now fit start. */
  setLimit(max: number): void {
    if (!(max >= 1)) throw new RangeError(`a spawn limit must be at least 1, not ${max}`);
    this.max = max;
    this.startWaiting();
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.startWaiting();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.max && this.waiting.length === 0) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active += 1;
          resolve();
        },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private startWaiting(): void {
    while (this.active < this.max && this.waiting.length > 0) this.waiting.shift()!.start();
  }
}

/** The default limit: 2 under TCG (software emulation), 8 with KVM or the fake driver. */
export function defaultSpawnLimit(hypervisorType: string): number {
  return hypervisorType.endsWith('/tcg') ? 2 : 8;
}
