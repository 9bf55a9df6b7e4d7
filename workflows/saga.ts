import { CancellationScope, log } from '@temporalio/workflow';
import type { ProgressTracker } from './build-progress.js';
import { failureMessage, isHostUnreachable } from './failures.js';

interface Undo {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * What an undo returns when it leaves its work to the host's own reconciliation on purpose
 * (a host that did not answer its step would not answer the undo either): recorded as deferred.
 */
export const DEFERRED = Symbol('deferred');

/**
 * Compensations of a build. Each undo is registered *before* its step runs (an undo is
 * safe when its step never happened), and they run in reverse in a scope that a
 * cancellation cannot interrupt. Undos are retried until they succeed (activity-options
 * `undo`); one that still fails failed for good (a permanent failure): it is logged, the
 * rest still run, and the progress lists it as left over (`ProgressTracker.leftovers`), so
 * the build ends CleanupIncomplete instead of claiming a clean rollback. A host that never
 * picked its undo up is dead: what it holds is its own reconciliation's, not a leftover.
 */
export class Saga {
  private undos: Undo[] = [];

  constructor(
    private readonly progress: ProgressTracker,
    private readonly onUndone: (name: string) => Promise<void> = async () => {},
  ) {}

  add(name: string, run: () => Promise<unknown>): void {
    this.undos.push({ name, run });
  }

  /** Takes over another saga's undos (a host attempt that succeeded joins the build's saga). */
  adopt(other: Saga): void {
    this.undos.push(...other.undos);
    other.undos = [];
  }

  async compensate(): Promise<void> {
    const undos = this.undos.reverse();
    this.undos = [];
    await CancellationScope.nonCancellable(async () => {
      for (const undo of undos) {
        try {
          if ((await undo.run()) === DEFERRED) {
            this.progress.compensation({ name: undo.name, outcome: 'deferred', error: null });
            continue;
          }
          this.progress.compensation({ name: undo.name, outcome: 'succeeded', error: null });
          await this.onUndone(undo.name);
        } catch (err) {
          const error = failureMessage(err);
          if (isHostUnreachable(err)) {
            log.warn('host did not answer the undo; its reconciliation finishes it', { undo: undo.name, error });
            this.progress.compensation({ name: undo.name, outcome: 'deferred', error });
            continue;
          }
          log.error('compensation failed for good; continuing with the rest', { undo: undo.name, error });
          this.progress.compensation({ name: undo.name, outcome: 'failed', error });
        }
      }
    });
  }
}
