import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { DeleteInstanceInput } from '../../contracts/instances.js';
import { instanceSearchAttributes } from '../../contracts/search-attributes.js';
import { TaskQueues, repairInstanceWorkflowId } from '../../contracts/task-queues.js';
import { unfinishedCleanups } from '../../core/instances/cleanup-repair.js';
import type { Logger } from '../../core/logger.js';

export interface CleanupRepairDeps {
  db: DataSource;
  client: Client;
  log: Logger;
  /** NIMBUS_CLEANUP_REPAIR_INTERVAL. */
  intervalSec: number;
  /** The host-step timeouts every instance workflow carries, from configuration. */
  hostTimeouts: Pick<DeleteInstanceInput, 'hostPickupTimeoutSec' | 'hostStepTimeoutSec' | 'hostHeartbeatTimeoutSec'>;
}

/**
 * The cleanup repair: every `intervalSec` (and once at start), each instance left ERROR
 * CleanupIncomplete gets a DeleteInstance run of its own (repair-instance-ID). Its steps are
 * idempotent: what was released stays released, what was left is released now, and the
 * instance ends DELETED; an undo that still fails leaves it CleanupIncomplete for the next
 * pass. Passes never overlap. Returns a function that stops it.
 */
export function startCleanupRepair(deps: CleanupRepairDeps): () => void {
  const { db, client, log, intervalSec, hostTimeouts } = deps;
  let running = false;

  async function pass(): Promise<void> {
    if (running) return;
    running = true;
    try {
      for (const { instanceId, projectId, host } of await unfinishedCleanups(db)) {
        const input: DeleteInstanceInput = { instanceId, host, ...hostTimeouts };
        try {
          await client.workflow.start('DeleteInstance', {
            taskQueue: TaskQueues.workflows,
            workflowId: repairInstanceWorkflowId(instanceId),
            args: [input],
            typedSearchAttributes: instanceSearchAttributes({ instanceId, projectId, status: 'DELETING', host }),
            staticSummary: `repair: finish the cleanup of ${instanceId}`,
          });
          log.info({ instanceId, host }, 'cleanup repair started');
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
    } catch (err) {
      log.warn({ err }, 'cleanup repair pass failed; the next one retries');
    } finally {
      running = false;
    }
  }

  void pass();
  const timer = setInterval(() => void pass(), intervalSec * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
