import type { ActivityOptions } from '@temporalio/workflow';
import { ActivityCancellationType } from '@temporalio/workflow';
import { TaskQueues, computeQueue } from '../contracts/task-queues.js';

/** The default time a host has to pick a task up before the saga treats it as dead. */
export const DEFAULT_HOST_PICKUP_TIMEOUT_SEC = 10;

/** Control-plane steps (scheduler, network, storage, records): a database away, retried patiently. */
export const controlPlane = (taskQueue: string): ActivityOptions => ({
  taskQueue,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 10 },
  // Wait for the step to really stop before compensating, or an undo could race its step.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Steps on one compute host. The schedule-to-start timeout is what makes a dead host
 * visible: it is not retried, so the saga sees it at once and places the build elsewhere.
 */
export const hostLocal = (host: string, pickupTimeoutSec: number, startToClose: string, heartbeat?: string): ActivityOptions => ({
  taskQueue: computeQueue(host),
  scheduleToStartTimeout: `${pickupTimeoutSec} seconds`,
  startToCloseTimeout: startToClose,
  heartbeatTimeout: heartbeat,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Undos are retried until they succeed: a start-to-close timeout only, no attempt limit.
 * On a host, the pickup timeout still applies: a dead host's leftovers are cleaned by its
 * agent's reconciliation when it comes back, rather than holding the saga hostage.
 */
export const undo = (taskQueue: string, pickupTimeoutSec?: number): ActivityOptions => ({
  taskQueue,
  scheduleToStartTimeout: pickupTimeoutSec ? `${pickupTimeoutSec} seconds` : undefined,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export const records = (): ActivityOptions => ({
  taskQueue: TaskQueues.workflows,
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
