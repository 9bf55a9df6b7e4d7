import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/logger.js';

/** A server the stack starts: its pid, a stop(), and a promise settled when its process is gone. */
export interface ServerProcess {
  pid: number;
  /** How the process ended (exit code or signal), once it has. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/** Waits between restarts of a server that keeps failing to start: 0.5 s, doubling, at most 10 s. */
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10_000];

/**
 * The stack's own infrastructure (the embedded PostgreSQL, the Temporal dev server), kept
 * running as the supervisor keeps the apps running: a server that exits without being
 * asked to (a crash, the OOM killer, `kill -9`) is started again on the same data and port,
 * and the apps reconnect by themselves. stop() is a deliberate stop: no restart until
 * start() is called.
 */
export class KeptRunning<S extends ServerProcess> {
  private current: S | undefined;
  private wanted = true;
  private starting: Promise<void> | undefined;
  /** How many times the server was started again after an unasked exit. */
  restarts = 0;

  private constructor(
    private readonly name: string,
    private readonly launch: () => Promise<S>,
    private readonly log: Logger,
  ) {}

  static async start<S extends ServerProcess>(name: string, launch: () => Promise<S>, log: Logger) {
    const kept = new KeptRunning(name, launch, log);
    kept.watch(await launch());
    return kept;
  }

  /** The server running now (a restart replaces it). */
  get server(): S {
    return this.current!;
  }

  /**
   * Stops the server for good (until start()); resolves once it is gone. `first` runs on the
   * server before its stop(): a failure test's SIGKILL.
   */
  async stop(first?: (server: S) => void): Promise<void> {
    this.wanted = false;
    await this.starting;
    if (this.current) first?.(this.current);
    await this.current?.stop();
  }

  /** Starts the server again after a stop(); a no-op while it runs. */
  async start(): Promise<void> {
    this.wanted = true;
    await this.starting;
    if (this.current && !(await isSettled(this.current.exited))) return;
    this.watch(await this.launch());
  }

  private watch(server: S): void {
    this.current = server;
    void server.exited.then((how) => {
      if (!this.wanted || this.current !== server) return;
      this.log.warn({ pid: server.pid, exit: how }, `${this.name} exited unasked; starting it again`);
      this.starting = this.restart().finally(() => (this.starting = undefined));
    });
  }

  private async restart(): Promise<void> {
    for (let attempt = 0; this.wanted; attempt++) {
      try {
        const server = await this.launch();
        if (!this.wanted) return void (await server.stop());
        this.restarts++;
        this.log.info({ pid: server.pid, attempt: attempt + 1 }, `${this.name} is back`);
        return this.watch(server);
      } catch (err) {
        const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
        this.log.warn({ err: (err as Error).message.split('\n')[0], retryInMs: wait }, `${this.name}: restart failed`);
        await sleep(wait);
      }
    }
  }
}

async function isSettled(p: Promise<unknown>): Promise<boolean> {
  return Promise.race([p.then(() => true), sleep(0).then(() => false)]);
}
