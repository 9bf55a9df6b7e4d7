import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { guardChild } from './exit-guard.js';
import { OutputTail, removePidFile, stopChildProcess, stopLeftover, writePidFile } from './processes.js';

/**
 * Runs the Nimbus apps as child processes, the way an init system runs services on a
 * host: output prefixed per child, and a child that dies unasked is started again after a
 * backoff (an agent that crashes on an injected fault comes back, as a rebooted host would).
 */

export interface ChildSpec {
  /** Unique; prefixes every output line: `[node-1] ...`. */
  name: string;
  command: string;
  args: string[];
  /** The child's whole environment. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Start again after an unexpected exit (default true). */
  restart?: boolean;
}

export interface SupervisorOptions {
  log: Logger;
  /** Where child output goes; default: stdout, prefixed with the child's name. */
  output?: (name: string, line: string, stream: 'stdout' | 'stderr') => void;
  /** Pid files, so a later run can stop children a killed launcher left behind. */
  runDir?: string;
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** How long a child gets between SIGTERM and SIGKILL. */
  stopTimeoutMs?: number;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildStatus {
  name: string;
  pid?: number;
  running: boolean;
  restarts: number;
}

/** A child that ran this long before dying is restarted without the accumulated backoff. */
const HEALTHY_RUN_MS = 10_000;

interface Child {
  spec: ChildSpec;
  process?: ChildProcess;
  startedAt: number;
  /** False once stopped by hand (or by stopAll): its exit is then no reason to restart. */
  wanted: boolean;
  restarts: number;
  quickFailures: number;
  restartTimer?: NodeJS.Timeout;
  lastExit?: ChildExit;
  tail: OutputTail;
  unguard?: () => void;
}

export class Supervisor extends EventEmitter<{
  spawn: [name: string, pid: number];
  exit: [name: string, exit: ChildExit];
}> {
  private readonly children = new Map<string, Child>();
  private readonly log: Logger;

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.log = options.log;
    if (options.runDir) mkdirSync(options.runDir, { recursive: true });
  }

  add(spec: ChildSpec): void {
    if (this.children.has(spec.name)) throw new Error(`a child named ${spec.name} already exists`);
    this.children.set(spec.name, {
      spec,
      startedAt: 0,
      wanted: false,
      restarts: 0,
      quickFailures: 0,
      tail: new OutputTail(200),
    });
  }

  names(): string[] {
    return [...this.children.keys()];
  }

  /** Stops leftovers of a previous run, then starts every child. */
  async startAll(): Promise<void> {
    for (const child of this.children.values()) await this.stopLeftoverOf(child);
    for (const name of this.children.keys()) this.startChild(name);
  }

  /** Starts a child (again). Also re-arms restarts after stopChild/killChild. */
  startChild(name: string): void {
    const child = this.get(name);
    clearTimeout(child.restartTimer);
    child.restartTimer = undefined;
    child.wanted = true;
    if (child.process) return;
    this.spawn(child);
  }

  /** Stops a child without restarting it; resolves with how it exited. */
  async stopChild(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<ChildExit | undefined> {
    const child = this.get(name);
    child.wanted = false;
    clearTimeout(child.restartTimer);
    child.restartTimer = undefined;
    const running = child.process;
    if (!running) return undefined;
    if (running.pid === undefined) {
      // It never started (its 'error' is on its way): there is nothing to signal.
      child.process = undefined;
      return undefined;
    }
    await stopChildProcess(running, { signal, timeoutMs: this.options.stopTimeoutMs ?? 5000 });
    // 'exit' listeners (ours first) have run by now.
    return child.lastExit;
  }

  /** SIGKILL, as a power cut would; not restarted until startChild. */
  killChild(name: string): Promise<ChildExit | undefined> {
    return this.stopChild(name, 'SIGKILL');
  }

  /** SIGTERM to every child at once, SIGKILL for those still running after the timeout. */
  async stopAll(): Promise<void> {
    await Promise.all(this.names().map((name) => this.stopChild(name)));
  }

  pid(name: string): number | undefined {
    return this.get(name).process?.pid;
  }

  isRunning(name: string): boolean {
    return this.get(name).process !== undefined;
  }

  status(): ChildStatus[] {
    return [...this.children.values()].map((child) => ({
      name: child.spec.name,
      pid: child.process?.pid,
      running: child.process !== undefined,
      restarts: child.restarts,
    }));
  }

  /** The child's last output lines, for error messages. */
  recentOutput(name: string, lines = 30): string[] {
    return this.get(name).tail.toArray(lines);
  }

  /** Resolves when the named child has been (re)started and has a pid. */
  async waitForSpawn(name: string): Promise<number> {
    const running = this.get(name).process?.pid;
    if (running !== undefined) return running;
    return new Promise((resolve) => {
      const onSpawn = (spawned: string, pid: number) => {
        if (spawned !== name) return;
        this.off('spawn', onSpawn);
        resolve(pid);
      };
      this.on('spawn', onSpawn);
    });
  }

  private get(name: string): Child {
    const child = this.children.get(name);
    if (!child) throw new Error(`no child named ${name} (have: ${this.names().join(', ')})`);
    return child;
  }

  private pidFile(child: Child): string | undefined {
    return this.options.runDir ? path.join(this.options.runDir, `${child.spec.name}.pid`) : undefined;
  }

  private async stopLeftoverOf(child: Child): Promise<void> {
    const pidFile = this.pidFile(child);
    if (!pidFile) return;
    const signature = [child.spec.command, ...child.spec.args].join(' ');
    await stopLeftover(pidFile, (cmd) => cmd.includes(signature), {
      onLeftover: (pid) =>
        this.log.warn({ child: child.spec.name, pid }, 'stopping a child left running by a previous run'),
    });
  }

  private spawn(child: Child): void {
    const { spec } = child;
    const proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      // Own process group: a terminal Ctrl-C reaches the launcher, which stops children in order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.process = proc;
    child.startedAt = Date.now();
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: proc[stream] }).on('line', (line) => {
        child.tail.push(line);
        this.write(spec.name, line, stream);
      });
    }
    let finished = false;
    const onGone = (exit: ChildExit): void => {
      if (finished) return;
      finished = true;
      this.onExit(child, proc, exit);
    };
    proc.once('exit', (code, signal) => onGone({ code, signal }));
    proc.once('error', (error) => {
      // ENOENT and the like: there will be no 'exit'.
      this.write(spec.name, `cannot start: ${error.message}`, 'stderr');
      if (proc.pid === undefined) onGone({ code: null, signal: null });
    });
    if (proc.pid !== undefined) {
      child.unguard = guardChild(proc.pid, 'SIGTERM');
      const pidFile = this.pidFile(child);
      if (pidFile) writePidFile(pidFile, proc.pid);
      this.log.debug({ child: spec.name, pid: proc.pid }, 'child started');
      this.emit('spawn', spec.name, proc.pid);
    }
  }

  private onExit(child: Child, proc: ChildProcess, exit: ChildExit): void {
    if (child.process !== proc) return;
    child.process = undefined;
    child.lastExit = exit;
    child.unguard?.();
    child.unguard = undefined;
    const pidFile = this.pidFile(child);
    if (pidFile) removePidFile(pidFile);
    this.emit('exit', child.spec.name, exit);
    if (!child.wanted) return;
    if (child.spec.restart === false) {
      child.wanted = false;
      this.log.warn({ child: child.spec.name, ...exit }, 'child exited; not restarting it');
      return;
    }
    child.quickFailures = Date.now() - child.startedAt > HEALTHY_RUN_MS ? 0 : child.quickFailures + 1;
    const base = this.options.restartDelayMs ?? 500;
    const delay = Math.min(base * 2 ** Math.max(0, child.quickFailures - 1), this.options.maxRestartDelayMs ?? 10_000);
    this.log.warn({ child: child.spec.name, ...exit, restartInMs: delay }, 'child exited unexpectedly; restarting it');
    child.restartTimer = setTimeout(() => {
      child.restartTimer = undefined;
      if (!child.wanted || child.process) return;
      child.restarts += 1;
      this.spawn(child);
    }, delay);
  }

  private write(name: string, line: string, stream: 'stdout' | 'stderr'): void {
    if (this.options.output) this.options.output(name, line, stream);
    else process.stdout.write(`[${name}] ${line}\n`);
  }
}

/**
 * Stops every child a previous launcher recorded in `runDir` and left running (it was
 * killed with SIGKILL), before the infrastructure they would hammer is restarted.
 */
export async function stopLeftoverChildren(
  runDir: string,
  isOurs: (commandLine: string) => boolean,
  log: Logger,
): Promise<void> {
  let files: string[];
  try {
    files = readdirSync(runDir).filter((file) => file.endsWith('.pid'));
  } catch {
    return;
  }
  await Promise.all(
    files.map((file) =>
      stopLeftover(path.join(runDir, file), isOurs, {
        onLeftover: (pid) =>
          log.warn({ child: file.slice(0, -4), pid }, 'stopping a child left running by a previous run'),
      }),
    ),
  );
}
