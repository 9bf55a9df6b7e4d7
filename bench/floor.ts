import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { TaskQueues, createInstanceWorkflowId } from '../contracts/task-queues.js';
import type { BenchFloorInput } from '../workflows/bench-floor.js';
import { timedPhase, type PhaseResult, type TimedRun } from './build-latency.js';

const HOST_QUEUE = /^compute\./;
const HOST_PLACEHOLDER = 'compute.{host}';

/**
 * The saga's own steps, as a list of task queues in order, read from the history of a build
 * of this very run (schedule, claim, pull, spawn, port, DHCP reservation, VIF, volume, export,
 * attach): the step floor then mirrors the workflow as it is today, whatever a later change
 * adds or removes. The records are bookkeeping, not steps: activities on the workflow queue
 * (before the local-records patch) and local activities are left out. The host's queue is
 * kept as a placeholder so each floor run can be given a host, as the scheduler gives each
 * build one.
 */
export interface FloorPlan {
  queues: string[];
  /** Step activities per queue, host queues counted together as `compute.HOST`. */
  perQueue: Record<string, number>;
  /** The build's records: activities on the workflow queue, and local activities. */
  records: { activities: number; local: number };
  workflowTasks: number;
}

export async function floorPlanFromBuild(temporal: Client, instanceId: string): Promise<FloorPlan> {
  const history = await temporal.workflow.getHandle(createInstanceWorkflowId(instanceId)).fetchHistory();
  const queues: string[] = [];
  let workflowTasks = 0;
  const records = { activities: 0, local: 0 };
  for (const event of history.events ?? []) {
    const queue = event.activityTaskScheduledEventAttributes?.taskQueue?.name;
    if (queue === TaskQueues.workflows) records.activities++;
    else if (queue) queues.push(HOST_QUEUE.test(queue) ? HOST_PLACEHOLDER : queue);
    if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') records.local++;
    if (event.workflowTaskCompletedEventAttributes) workflowTasks++;
  }
  if (queues.length === 0) throw new Error(`the history of build ${instanceId} has no activities`);
  const perQueue: Record<string, number> = {};
  for (const q of queues) {
    const key = q === HOST_PLACEHOLDER ? 'compute.HOST' : q;
    perQueue[key] = (perQueue[key] ?? 0) + 1;
  }
  return { queues, perQueue, records, workflowTasks };
}

/** One floor run: start the bare workflow on the workflow queue and wait for its result. */
export async function floorOnce(temporal: Client, plan: FloorPlan, host: string): Promise<TimedRun> {
  const input: BenchFloorInput = { queues: plan.queues.map((q) => (q === HOST_PLACEHOLDER ? `compute.${host}` : q)) };
  const workflowId = `bench-floor-${randomUUID()}`;
  const t0 = performance.now();
  const handle = await temporal.workflow.start('BenchFloor', {
    taskQueue: TaskQueues.workflows,
    workflowId,
    args: [input],
  });
  const acceptedMs = performance.now() - t0;
  await handle.result();
  return { ms: performance.now() - t0, acceptedMs, workflowId };
}

/** N floor runs with the same concurrency as the builds, hosts taken in turn. */
export function benchFloor(
  temporal: Client,
  plan: FloorPlan,
  opts: { count: number; concurrency: number; hosts: string[] },
): Promise<PhaseResult> {
  return timedPhase(opts.count, opts.concurrency, (i) => floorOnce(temporal, plan, opts.hosts[i % opts.hosts.length]));
}
