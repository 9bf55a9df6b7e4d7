/** Task queues, as in DESIGN.md's process table. */
export const TaskQueues = {
  /** Workflows and the records activities that write their progress to Postgres. */
  workflows: 'instances',
  scheduler: 'scheduler',
  network: 'network',
  storage: 'storage',
  /** The network node (apps/network-node): DHCP reservations, in qdhcp namespaces. */
  networkNode: 'network-node',
  /**
   * The storage node (Cinder-volume's role: apps/storage-node): the volume files and tgtd's
   * targets. The controller serves it itself with the fake backend (NIMBUS_STORAGE_BACKEND=fake).
   */
  storageNode: 'storage-node',
} as const;

/** The queue of one compute node: only that node's agent polls it. */
export function computeQueue(host: string): string {
  return `compute.${host}`;
}

/** One reconciliation of the storage node at a time: a second start while one runs is refused. */
export const RECONCILE_STORAGE_WORKFLOW_ID = 'reconcile-storage';

export function createInstanceWorkflowId(instanceId: string): string {
  return `instance-${instanceId}`;
}

export function deleteInstanceWorkflowId(instanceId: string): string {
  return `delete-instance-${instanceId}`;
}

/**
 * The cleanup repair's DeleteInstance for an instance left CleanupIncomplete: its own id, so
 * one repair runs per instance at a time and a user's DELETE is never refused because of it.
 */
export function repairInstanceWorkflowId(instanceId: string): string {
  return `repair-instance-${instanceId}`;
}

/**
 * One power action per instance at a time: the id is the instance's, so Temporal itself
 * refuses a second one while the first runs (the default conflict policy), and a finished
 * one does not block the next (the default reuse policy allows a new run once it closed).
 */
export function powerActionWorkflowId(instanceId: string): string {
  return `power-${instanceId}`;
}

/** Console reads may run side by side: each gets its own id (the request's). */
export function consoleWorkflowId(instanceId: string, requestId: string): string {
  return `console-${instanceId}-${requestId}`;
}

/** A host's fault injections are set and read per request: each gets its own id (the request's). */
export function hostFaultsWorkflowId(host: string, requestId: string): string {
  return `host-faults-${host}-${requestId}`;
}

/** The network node's start-up question to the control plane: one at a time per node. */
export function dhcpStateWorkflowId(requestId: string): string {
  return `dhcp-state-${requestId}`;
}

/** A compute agent's report to the control plane (HostSync): one per question, named after its host. */
export function hostSyncWorkflowId(host: string, requestId: string): string {
  return `host-sync-${host}-${requestId}`;
}

/**
 * The long-running workflow an agent's heartbeats signal (HostHeartbeats): one per agent, so
 * its history is that agent's alone. The simulated fleet signals one for all its hosts.
 */
export function hostHeartbeatsWorkflowId(agent: string): string {
  return `host-heartbeats-${agent}`;
}
