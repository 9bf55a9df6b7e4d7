import { connect, type Socket } from 'node:net';

/**
 * A small client for QEMU's machine protocol (QMP) over a unix socket: JSON objects, one per
 * line. On connect the server greets with `{"QMP": ...}`; the client must send
 * `qmp_capabilities` before anything else. Each command carries an `id` the reply echoes,
 * so commands may overlap; asynchronous events (`{"event": ...}`) go to whoever waits for
 * them. Every wait is bounded by a timeout and by the caller's AbortSignal.
 */

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

/** QEMU refused a command: `class` is QMP's error class (e.g. GenericError, DeviceNotFound). */
export class QmpError extends Error {
  override name = 'QmpError';
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command} failed: ${errorClass}: ${desc}`);
  }
}

export interface QmpWaitOptions {
  signal?: AbortSignal;
  /** Default 10 s: QMP answers in milliseconds even under TCG; longer means QEMU is wedged. */
  timeoutMs?: number;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

type EventListener = (event: QmpEvent) => void;

const DEFAULT_TIMEOUT_MS = 10_000;

export class QmpClient {
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<EventListener>();
  /** Event waits, rejected when the connection ends (QEMU quit or died). */
  private readonly closeWaiters = new Set<(err: Error) => void>();
  private nextId = 1;
  private buffer = '';
  private closedError: Error | null = null;
  private greeting: ((value: unknown) => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('QMP connection closed')));
  }

  /** Connects, reads the greeting and negotiates capabilities. */
  static async connect(socketPath: string, opts: QmpWaitOptions = {}): Promise<QmpClient> {
    const socket = connect(socketPath);
    const client = new QmpClient(socket);
    try {
      await bounded(
        new Promise<void>((resolve, reject) => {
          client.greeting = () => resolve();
          socket.once('error', reject);
          socket.once('close', () => reject(new Error(`QMP connection on ${socketPath} closed before its greeting`)));
        }),
        `QMP greeting on ${socketPath}`,
        opts,
      );
      await client.execute('qmp_capabilities', undefined, opts);
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }

  /** Runs one command and resolves with its `return` value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: QmpWaitOptions = {}): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject });
    });
    this.socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + '\n');
    return bounded(reply, `QMP ${command}`, opts).finally(() => this.pending.delete(id));
  }

  /** Every event from now on, until the returned function is called. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * The next event named `name` for which `match` holds. Call it before the command that
   * causes the event (QEMU may send the event before the command's reply).
   */
  waitForEvent(
    name: string,
    match: (e: QmpEvent) => boolean = () => true,
    opts: QmpWaitOptions = {},
  ): Promise<QmpEvent> {
    if (this.closedError) return Promise.reject(this.closedError);
    let off = () => undefined as void;
    let onClose: (err: Error) => void = () => undefined;
    const seen = new Promise<QmpEvent>((resolve, reject) => {
      off = this.onEvent((e) => {
        if (e.event === name && match(e)) resolve(e);
      });
      onClose = reject;
      this.closeWaiters.add(onClose);
    });
    return bounded(seen, `QMP event ${name}`, opts).finally(() => {
      off();
      this.closeWaiters.delete(onClose);
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Closes the connection; pending commands and waits reject. Safe to call twice. */
  close(): void {
    this.fail(new Error('QMP connection closed by the client'));
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not JSON: QEMU never sends that; ignore rather than tear the session down
    }
    if ('QMP' in msg) {
      this.greeting?.(msg);
      this.greeting = null;
    } else if ('event' in msg) {
      for (const listener of [...this.listeners]) listener(msg as unknown as QmpEvent);
    } else if (typeof msg.id === 'number') {
      const pending = this.pending.get(msg.id);
      if (!pending) return;
      this.pending.delete(msg.id);
      const error = msg.error as { class?: string; desc?: string } | undefined;
      if (error) pending.reject(new QmpError(pending.command, error.class ?? 'GenericError', error.desc ?? ''));
      else pending.resolve(msg.return);
    }
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const reject of this.closeWaiters) reject(err);
    this.closeWaiters.clear();
    this.listeners.clear();
  }
}

/** The promise, or a rejection when the timeout passes or the signal aborts (with the signal's reason). */
function bounded<T>(promise: Promise<T>, what: string, opts: QmpWaitOptions): Promise<T> {
  const { signal, timeoutMs = DEFAULT_TIMEOUT_MS } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`))),
      timeoutMs,
    );
    const onAbort = () => finish(() => reject(signal!.reason as Error));
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (then: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      then();
    };
    promise.then(
      (v) => finish(() => resolve(v)),
      (e: Error) => finish(() => reject(e)),
    );
  });
}
