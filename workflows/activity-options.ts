import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { ActivityCancellationType } from '@temporalio/workflow';
import { TaskQueues, computeQueue } from '../contracts/task-queues.js';

/** The default time a host has to pick a task up before the saga treats it as dead. */
export const DEFAULT_HOST_PICKUP_TIMEOUT_SEC = 10;

/** Control-plane steps (scheduler, network, storage, records): a database away, retried patiently. */
export const controlPlane = (taskQueue: string): ActivityOptions => ({
  taskQueue,
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 10,
  },
  // Wait for the step to really stop before compensating, or an undo could race its step.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * How long host steps may take, from the build's input (NIMBUS_HOST_PICKUP_TIMEOUT,
 * NIMBUS_HOST_STEP_TIMEOUT, NIMBUS_HOST_HEARTBEAT_TIMEOUT): unset fields keep each step's
 * own default. Carried in the input because workflow code cannot read the environment.
 */
export interface HostTiming {
  pickupSec: number;
  /** Overrides every host step's start-to-close (tests and demos make hangs end quickly). */
  stepSec?: number;
  heartbeatSec?: number;
}

/**
 * A host step's compute agent heartbeats while it runs (activities/heartbeat.ts), so a
 * dead agent shows as a missed heartbeat within this time instead of a start-to-close of
 * minutes. A step hung inside a live agent keeps heartbeating: its start-to-close bounds it.
 */
export const DEFAULT_HOST_HEARTBEAT_TIMEOUT_SEC = 20;

export function hostTiming(input: {
  hostPickupTimeoutSec?: number;
  hostStepTimeoutSec?: number;
  hostHeartbeatTimeoutSec?: number;
}): HostTiming {
  return {
    pickupSec: input.hostPickupTimeoutSec ?? DEFAULT_HOST_PICKUP_TIMEOUT_SEC,
    stepSec: input.hostStepTimeoutSec,
    heartbeatSec: input.hostHeartbeatTimeoutSec,
  };
}

const asTiming = (t: HostTiming | number): HostTiming => (typeof t === 'number' ? { pickupSec: t } : t);

/** What a host step may change in the options every host step gets. */
export interface HostStepLimits {
  /** A ceiling on the heartbeat timeout, even when NIMBUS_HOST_HEARTBEAT_TIMEOUT is longer. */
  maxHeartbeatSec?: number;
  /** Attempts on this host (default 3). */
  maximumAttempts?: number;
}

/**
 * The claim's limits. A frozen agent (SIGSTOP, a hung VM) keeps its Temporal connection, so
 * its outstanding poll takes the claim and the pickup timeout never fires: only a missed
 * heartbeat shows it. The agent heartbeats the moment the claim starts (activities/compute.ts),
 * so missing this short first heartbeat means the host is unresponsive, and the build moves
 * to the next host at once: one attempt, never a retry on the same host (it could be taken
 * by the same frozen agent's next poll). The host is then marked suspect (releaseClaim).
 */
export const CLAIM_LIMITS = { maxHeartbeatSec: 5, maximumAttempts: 1 } as const satisfies HostStepLimits;

/**
 * Steps on one compute host. The schedule-to-start timeout is what makes a dead host
 * visible: it is not retried, so the saga sees it at once and places the build elsewhere.
 * A crashed agent misses its heartbeats and the step is retried (the restarted agent
 * finishes it); a hung one runs into its start-to-close, three times, then the saga moves on.
 */
export const hostLocal = (
  host: string,
  timing: HostTiming | number,
  startToClose: string,
  heartbeat?: string,
  limits: HostStepLimits = {},
): ActivityOptions => {
  const t = asTiming(timing);
  const heartbeatTimeout = t.heartbeatSec
    ? `${t.heartbeatSec} seconds`
    : (heartbeat ?? `${DEFAULT_HOST_HEARTBEAT_TIMEOUT_SEC} seconds`);
  const capped =
    limits.maxHeartbeatSec !== undefined && seconds(heartbeatTimeout) > limits.maxHeartbeatSec
      ? `${limits.maxHeartbeatSec} seconds`
      : heartbeatTimeout;
  return {
    taskQueue: computeQueue(host),
    scheduleToStartTimeout: `${t.pickupSec} seconds`,
    startToCloseTimeout: t.stepSec ? `${t.stepSec} seconds` : startToClose,
    heartbeatTimeout: capped,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '10 seconds',
      maximumAttempts: limits.maximumAttempts ?? 3,
    },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
};

/** `N seconds` as written in this module, as a number. */
const seconds = (duration: string): number => Number.parseFloat(duration);

/**
 * Undos are retried until they succeed: a start-to-close timeout only, no attempt limit.
 * On a host, the pickup timeout still applies: a dead host's leftovers are cleaned by its
 * agent's reconciliation when it comes back, rather than holding the saga hostage; and a
 * heartbeat timeout, so an agent that crashes mid-undo is retried once it is back.
 */
export const undo = (taskQueue: string, timing?: HostTiming | number): ActivityOptions => {
  const t = timing === undefined ? undefined : asTiming(timing);
  return {
    taskQueue,
    scheduleToStartTimeout: t ? `${t.pickupSec} seconds` : undefined,
    startToCloseTimeout: t?.stepSec ? `${t.stepSec} seconds` : '1 minute',
    heartbeatTimeout: t ? `${t.heartbeatSec ?? DEFAULT_HOST_HEARTBEAT_TIMEOUT_SEC} seconds` : undefined,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  };
};

export const records = (): ActivityOptions => ({
  taskQueue: TaskQueues.workflows,
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * The records as local activities: run by the workflow worker itself (the controller, which
 * has the database) inside the workflow task, with no task-queue round trip. A retry within
 * `localRetryThreshold` stays inside the workflow task; a longer backoff (PostgreSQL down for a
 * while) becomes a timer, so the workflow task is not held open. Retried until done, as before.
 */
export const localRecords = (): LocalActivityOptions => ({
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '5 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * Heartbeats as local activities of HostHeartbeats (the controller writes them, no task-queue
 * round trip). Retried briefly only: the agent's next heartbeat, seconds later, says more
 * than an old one retried for long.
 */
export const heartbeatRecords = (): LocalActivityOptions => ({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * A read on one host that a user waits for (the console): one attempt, a short pickup so a
 * dead host answers "unavailable" in seconds, and a start-to-close for a slow disk.
 */
export const hostRead = (host: string, pickupSec: number): ActivityOptions => ({
  taskQueue: computeQueue(host),
  scheduleToStartTimeout: `${pickupSec} seconds`,
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});
