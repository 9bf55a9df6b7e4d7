/** Task queues, as in DESIGN.md's process table. */
export const TaskQueues = {
  /** Workflows and the records activities that write their progress to Postgres. */
  workflows: 'instances',
  scheduler: 'scheduler',
  network: 'network',
  storage: 'storage',
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

export function createInstanceWorkflowId(instanceId: string): string {
  return `instance-${instanceId}`;
}

export function deleteInstanceWorkflowId(instanceId: string): string {
  return `delete-instance-${instanceId}`;
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
