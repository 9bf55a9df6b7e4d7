import { log, proxyActivities } from '@temporalio/workflow';
import type { DhcpActivities } from '../contracts/activities.js';
import { TaskQueues } from '../contracts/task-queues.js';
import { undo } from './activity-options.js';
import { failureMessage, isHostUnreachable } from './failures.js';

/**
 * How long the network node has to pick up a reservation's removal. A node that is down
 * does not hold a delete or a compensation hostage: at its start it compares what it serves
 * with the ports the control plane has and removes the rest (DhcpState), as a compute host's
 * reconciliation does for its domains.
 */
export const NETWORK_NODE_PICKUP_SEC = 30;

const networkNodeUndo = proxyActivities<DhcpActivities>(undo(TaskQueues.networkNode, NETWORK_NODE_PICKUP_SEC));

/** Removes the instance's DHCP reservations; a network node that does not answer is left to its reconciliation. */
export async function removeDhcpReservation(instanceId: string): Promise<void> {
  try {
    await networkNodeUndo.removeDhcpReservation({ instanceId });
  } catch (err) {
    if (!isHostUnreachable(err)) throw err;
    log.warn('the network node did not answer; its reconciliation will remove the reservation', {
      instanceId,
      error: failureMessage(err),
    });
  }
}
