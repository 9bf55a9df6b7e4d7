/**
 * What the embedded PostgreSQL and the Temporal dev server have in common once spawned in
 * their own process group: their output read line by line into a tail (for error messages),
 * a guard that stops them if the launcher dies first, and one stop() however often called.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { guardChild } from './exit-guard.js';
import { OutputTail, stopChildProcess } from './processes.js';

/** Every line of the child's stdout and stderr, kept in a tail of `size` lines and passed to `onLine`. */
export function tailOutput(child: ChildProcess, size: number, onLine: (line: string) => void): OutputTail {
  const tail = new OutputTail(size);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      onLine(line);
    });
  }
  return tail;
}

/**
 * Guards the running child `pid` (the launcher's exit sends it `signal`) and returns its
 * stop(): `signal`, SIGKILL after `timeoutMs`, then `afterStop`; later calls share the first.
 */
export function guardedStop(
  child: ChildProcess,
  pid: number,
  options: { signal: NodeJS.Signals; timeoutMs: number; afterStop?: () => void },
): () => Promise<void> {
  const unguard = guardChild(pid, options.signal);
  child.once('exit', unguard);
  let stopped: Promise<void> | undefined;
  return () => {
    stopped ??= (async () => {
      await stopChildProcess(child, { signal: options.signal, timeoutMs: options.timeoutMs });
      unguard();
      options.afterStop?.();
    })();
    return stopped;
  };
}

/** Settles when the child is gone, however it went (stop(), a crash, `kill -9`), with how it ended. */
export function exitOf(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(String(child.exitCode ?? child.signalCode));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(String(code ?? signal))));
}
