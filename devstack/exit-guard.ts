/**
 * The stack's children run in their own process groups (so a Ctrl-C in the terminal reaches
 * only the launcher, which then stops them in order). The price: if the launcher dies
 * without running its stop(), nothing else tells them. This guard signals every registered
 * child when this process exits, synchronously, because 'exit' handlers cannot wait.
 */

const guarded = new Map<number, NodeJS.Signals>();
let exitHookInstalled = false;
let signalHookInstalled = false;

function signalAll(): void {
  for (const [pid, signal] of guarded) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
  guarded.clear();
}

/** Signals `pid` with `signal` if this process exits first. Returns the function that forgets it. */
export function guardChild(pid: number, signal: NodeJS.Signals = 'SIGTERM'): () => void {
  if (!exitHookInstalled) {
    process.on('exit', signalAll);
    exitHookInstalled = true;
  }
  guarded.set(pid, signal);
  return () => {
    guarded.delete(pid);
  };
}

/**
 * For processes that do not handle SIGINT/SIGTERM/SIGHUP themselves (a test file killed by
 * the runner): signal the guarded children, then die of the same signal as before. The
 * launcher does not use this: it has its own orderly shutdown.
 */
export function guardChildrenOnSignals(): void {
  if (signalHookInstalled) return;
  signalHookInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      signalAll();
      // Let the default action (termination) happen, unless someone else handles it.
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
