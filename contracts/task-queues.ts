/** Task queues, as in DESIGN.md's process table. */
export const TaskQueues = {
  /** Workflows and the records activities that write their progress to Postgres. */
  workflows: 'instances',
  scheduler: 'scheduler',
  network: 'network',
  storage: 'storage',
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
