import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { INSTANCE_CHANGED_CHANNEL } from '../db/migrations/1764660000000-instance-notify.js';
import type { Logger } from '../logger.js';

/** Sent to every listener when the feed reconnects: a change may have been missed meanwhile. */
const EVERY = '*';

/**
 * The instances' change notifications (PostgreSQL LISTEN on one connection per API process),
 * fanned out to whoever watches an instance. A lost connection (a database restart) is
 * reconnected with backoff, and every watcher is woken once it is back, since a change may
 * have gone by unheard. Watching costs nothing until a notification arrives.
 */
export class InstanceChangeFeed {
  private readonly events = new EventEmitter().setMaxListeners(0);
  private client: pg.Client | undefined;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  /** Calls `onChange` whenever instance `id` may have changed; returns the unsubscribe. */
  watch(id: string, onChange: () => void): () => void {
    this.events.on(id, onChange);
    this.events.on(EVERY, onChange);
    return () => {
      this.events.off(id, onChange);
      this.events.off(EVERY, onChange);
    };
  }

  /** How many watchers are registered (a closed subscription must leave none). */
  watchers(): number {
    return this.events.listenerCount(EVERY);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'nimbus-api-listen' });
    client.on('notification', (n) => n.payload && this.events.emit(n.payload));
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.closed || this.client !== client) return;
      this.log.warn('instance change feed: connection lost; reconnecting');
      void this.reconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${INSTANCE_CHANGED_CHANNEL}`);
    this.client = client;
  }

  private async reconnect(): Promise<void> {
    for (let wait = 250; !this.closed; wait = Math.min(wait * 2, 5000)) {
      await sleep(wait);
      try {
        await this.connect();
        this.events.emit(EVERY);
        return;
      } catch {
        // The database is still away; try again.
      }
    }
  }
}

/**
 * A live view as an async iterator: reads the view, yields it when its `key` changed, and
 * waits for the next change notification before reading again. It ends after yielding a
 * view that is `settled`, or when the consumer returns (the watch is dropped at once, even
 * while waiting), or after `maxLifetimeMs`.
 */
export function watchView<T>(opts: {
  subscribe: (wake: () => void) => () => void;
  read: () => Promise<T>;
  key: (view: T) => string;
  settled: (view: T) => boolean;
  maxLifetimeMs: number;
}): AsyncIterableIterator<T> {
  let dirty = true;
  let closed = false;
  let finished = false;
  let last = '';
  let wake: (() => void) | undefined;
  const unsubscribe = opts.subscribe(() => {
    dirty = true;
    wake?.();
  });
  const lifetime = setTimeout(() => close(), opts.maxLifetimeMs);
  lifetime.unref();
  function close(): void {
    if (closed) return;
    closed = true;
    clearTimeout(lifetime);
    unsubscribe();
    wake?.();
  }
  const end = { value: undefined, done: true } as const;
  return {
    async next(): Promise<IteratorResult<T>> {
      while (!closed && !finished) {
        if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (closed) break;
        dirty = false;
        const view = await opts.read();
        finished = opts.settled(view);
        const key = opts.key(view);
        if (key !== last) {
          last = key;
          return { value: view, done: false };
        }
      }
      close();
      return end;
    },
    return(): Promise<IteratorResult<T>> {
      close();
      return Promise.resolve(end);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** `source`'s values through `fn`, returning (closing) the source when the consumer does. */
export function mapIterator<T, U>(source: AsyncIterableIterator<T>, fn: (value: T) => U): AsyncIterableIterator<U> {
  return {
    async next() {
      const r = await source.next();
      return r.done ? { value: undefined, done: true } : { value: fn(r.value), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
