import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Process bookkeeping shared by the embedded PostgreSQL, the Temporal dev server and the
 * supervised apps: pid files, liveness, and "stop it, then make sure it is gone".
 */

/** True while `pid` runs. A zombie counts as gone: it holds no port and no lock. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user (e.g. postgres started as its own user).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return processState(pid) !== 'Z';
}

/** The one-letter state from /proc (R, S, Z, ...), or undefined where there is no /proc. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** The command line of `pid` joined by spaces, or undefined where it cannot be read. */
export function processCommandLine(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

/** The pid on the first line of a pid file (postmaster.pid has the same layout), if any. */
export function readPidFile(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n', 1)[0]?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePidFile(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`);
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}

export type PidFileState =
  | { state: 'absent' }
  /** The file is there but its process is not: a crash left it behind. */
  | { state: 'stale'; pid?: number }
  | { state: 'running'; pid: number };

/**
 * Whether the process a pid file names is still ours and running. `isOurs` checks the
 * command line, because after a reboot or a long time the same pid can belong to an
 * unrelated process; where the command line cannot be read, liveness alone decides.
 */
export function inspectPidFile(file: string, isOurs: (commandLine: string) => boolean): PidFileState {
  const pid = readPidFile(file);
  if (pid === undefined) {
    try {
      readFileSync(file);
      return { state: 'stale' };
    } catch {
      return { state: 'absent' };
    }
  }
  if (!isProcessAlive(pid)) return { state: 'stale', pid };
  const commandLine = processCommandLine(pid);
  if (commandLine !== undefined && !isOurs(commandLine)) return { state: 'stale', pid };
  return { state: 'running', pid };
}

/** Polls until `pid` is gone; false when it still runs after `timeoutMs`. */
export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

export interface TerminateOptions {
  /** The polite signal; PostgreSQL wants SIGINT (fast shutdown), most others SIGTERM. */
  signal?: NodeJS.Signals;
  timeoutMs?: number;
}

/** Sends `signal`, waits, then SIGKILL. For processes that are not our children (leftovers). */
export async function terminateProcess(pid: number, options: TerminateOptions = {}): Promise<void> {
  const { signal = 'SIGTERM', timeoutMs = 5000 } = options;
  if (!sendSignal(pid, signal)) return;
  if (await waitForProcessExit(pid, timeoutMs)) return;
  sendSignal(pid, 'SIGKILL');
  if (!(await waitForProcessExit(pid, 5000))) {
    throw new Error(`process ${pid} is still alive after SIGKILL`);
  }
}

/** Signals a process, ignoring "no such process". Returns whether the signal was delivered. */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Resolves when a child we spawned has exited (at once if it already has). */
export function childExited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Stops a child we spawned: `signal`, then SIGKILL after `timeoutMs`. Resolves once it is gone. */
export async function stopChildProcess(child: ChildProcess, options: TerminateOptions = {}): Promise<void> {
  const { signal = 'SIGTERM', timeoutMs = 5000 } = options;
  const exited = childExited(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A previous run that was killed with SIGKILL leaves its children running (they are in
 * their own process group). Stop such a leftover before starting its replacement, so it
 * does not hold the port, the data directory or a task queue.
 */
export async function stopLeftover(
  pidFile: string,
  isOurs: (commandLine: string) => boolean,
  options: TerminateOptions & { onLeftover?: (pid: number) => void } = {},
): Promise<void> {
  const found = inspectPidFile(pidFile, isOurs);
  if (found.state === 'running') {
    options.onLeftover?.(found.pid);
    await terminateProcess(found.pid, options);
  }
  if (found.state !== 'absent') removePidFile(pidFile);
}

/** Keeps the last `size` lines of a process's output, for error messages. */
export class OutputTail {
  private readonly lines: string[] = [];
  constructor(private readonly size = 100) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }

  toArray(count = this.size): string[] {
    return this.lines.slice(-count);
  }

  toString(count = 30): string {
    return this.toArray(count).join('\n');
  }
}
