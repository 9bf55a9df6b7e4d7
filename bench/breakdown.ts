import type { Client } from '@temporalio/client';
import { TaskQueues } from '../contracts/task-queues.js';
import type { TimedRun } from './build-latency.js';
import { percentile, runPool, summarize, type LatencySummary } from './stats.js';

/**
 * Where a build's time goes, read from Temporal's own event times in the histories of every
 * timed run: waiting for a worker to pick a workflow task up, running it, waiting for an
 * activity to be picked up, running it (per activity type). Side by side for ours and the
 * floor, the difference is what our own code adds; what both share is Temporal's and the
 * workers' overhead.
 */
export interface Breakdown {
  runs: number;
  /** Mean ms per run, summed over the run's events. */
  perRun: {
    total: number;
    workflowTaskWait: number;
    workflowTaskRun: number;
    activityWait: number;
    activityRun: number;
    /** Time inside the steps' activities (started → completed), records excluded. */
    stepRun: number;
    workflowTasks: number;
    /** Local activities (their markers): the records since the local-records patch. */
    localActivities: number;
    /** Activities on the workflow queue: the records before that patch. */
    recordActivities: number;
    /**
     * Workflow tasks after the first that went to the normal queue, not the worker's sticky one:
     * cache misses, each a replay.
     */
    workflowTasksOffSticky: number;
    /** Workflow tasks that timed out or failed and activities that timed out or failed: each one is a retry. */
    retries: number;
  };
  /**
   * Orchestration overhead per run: the client's time (POST → ACTIVE, or start → result) minus
   * the time inside step activities. Workflow tasks, queue waits and bookkeeping (records,
   * local or not) all count as overhead.
   */
  overhead: LatencySummary;
  /** The longest wait between two consecutive events in the runs read: where a slow one stalled. */
  longestGap: { workflowId: string; ms: number; after: string; before: string } | null;
  /** Per activity type: its queue, how many per run, queue wait and run time (mean and p95). */
  activities: Record<string, StepTiming>;
}

export interface StepTiming {
  queue: string;
  perRun: number;
  waitMs: number;
  waitP95Ms: number;
  runMs: number;
  runP95Ms: number;
}

const STICKY = 2; // TaskQueueKind
// Event types as numbers (the raw protobuf enum the client returns); each is paired with
// the event its attributes point back to (scheduled → started → completed).
const WFT_SCHEDULED = 5;
const WFT_STARTED = 6;
const WFT_COMPLETED = 7;
const ACT_STARTED = 11;
const ACT_COMPLETED = 12;
const RETRIES = new Set([8, 9, 13, 14]); // workflow task timed out / failed, activity failed / timed out
const NAMES: Record<number, string> = {
  1: 'started',
  2: 'completed',
  5: 'workflow task scheduled',
  6: 'workflow task started',
  7: 'workflow task completed',
  8: 'workflow task timed out',
  9: 'workflow task failed',
  10: 'activity scheduled',
  11: 'activity started',
  12: 'activity completed',
  13: 'activity failed',
  14: 'activity timed out',
  25: 'marker recorded',
  40: 'search attributes upserted',
};

type Sums = Breakdown['perRun'];
type Slot = { queue: string; count: number; runs: number[]; waits: number[] };

export async function historyBreakdown(temporal: Client, runs: TimedRun[]): Promise<Breakdown> {
  const sums: Sums = {
    total: 0,
    workflowTaskWait: 0,
    workflowTaskRun: 0,
    activityWait: 0,
    activityRun: 0,
    stepRun: 0,
    workflowTasks: 0,
    localActivities: 0,
    recordActivities: 0,
    workflowTasksOffSticky: 0,
    retries: 0,
  };
  let longestGap: Breakdown['longestGap'] = null;
  const perType = new Map<string, Slot>();
  const overheads: number[] = [];
  const histories = await runPool(runs.length, 8, (i) =>
    temporal.workflow.getHandle(runs[i].workflowId).fetchHistory(),
  );
  for (const [i, history] of histories.entries()) {
    const events = history.events ?? [];
    const at = (e: (typeof events)[number]) =>
      Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    if (events.length) sums.total += at(events[events.length - 1]) - at(events[0]);
    let workflowTasks = 0;
    let stepRun = 0;
    for (const [k, e] of events.entries()) {
      const type = Number(e.eventType);
      if (RETRIES.has(type)) sums.retries += 1;
      const since = k > 0 ? at(e) - at(events[k - 1]) : 0;
      if (since > (longestGap?.ms ?? 0)) {
        const name = (x: unknown) => NAMES[Number(x)] ?? `event type ${Number(x)}`;
        longestGap = {
          workflowId: runs[i].workflowId,
          ms: Math.round(since),
          after: name(events[k - 1].eventType),
          before: name(type),
        };
      }
      if (type === WFT_SCHEDULED && workflowTasks++ > 0) {
        if (Number(e.workflowTaskScheduledEventAttributes?.taskQueue?.kind) !== STICKY)
          sums.workflowTasksOffSticky += 1;
      }
      if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') sums.localActivities += 1;
      if (type === WFT_STARTED)
        sums.workflowTaskWait += gap(byId, e.workflowTaskStartedEventAttributes?.scheduledEventId, e, at);
      if (type === WFT_COMPLETED) {
        sums.workflowTasks += 1;
        sums.workflowTaskRun += gap(byId, e.workflowTaskCompletedEventAttributes?.startedEventId, e, at);
      }
      if (type === ACT_STARTED) {
        const scheduledId = Number(e.activityTaskStartedEventAttributes?.scheduledEventId);
        const wait = gap(byId, scheduledId, e, at);
        sums.activityWait += wait;
        entry(perType, byId.get(scheduledId)).waits.push(wait);
      }
      if (type === ACT_COMPLETED) {
        const a = e.activityTaskCompletedEventAttributes;
        const run = gap(byId, a?.startedEventId, e, at);
        sums.activityRun += run;
        const slot = entry(perType, byId.get(Number(a?.scheduledEventId)));
        slot.runs.push(run);
        slot.count += 1;
        if (slot.queue === TaskQueues.workflows) sums.recordActivities += 1;
        else stepRun += run;
      }
    }
    sums.stepRun += stepRun;
    overheads.push(runs[i].ms - stepRun);
  }
  const n = Math.max(1, histories.length);
  const r = (x: number) => Math.round(x * 10) / 10;
  const p95 = (xs: number[]) =>
    r(
      percentile(
        [...xs].sort((a, b) => a - b),
        95,
      ) || 0,
    );
  const mean = (xs: number[]) => r(xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length));
  return {
    runs: histories.length,
    longestGap,
    perRun: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, r(v / n)])) as Breakdown['perRun'],
    overhead: summarize(overheads),
    activities: Object.fromEntries(
      [...perType].map(([name, s]) => [
        name,
        {
          queue: s.queue,
          perRun: r(s.count / n),
          waitMs: mean(s.waits),
          waitP95Ms: p95(s.waits),
          runMs: mean(s.runs),
          runP95Ms: p95(s.runs),
        },
      ]),
    ),
  };
}

type Scheduled = {
  activityTaskScheduledEventAttributes?: {
    activityType?: { name?: string | null } | null;
    taskQueue?: { name?: string | null } | null;
  } | null;
};

function gap<E>(byId: Map<number, E>, fromId: unknown, to: E, at: (e: E) => number): number {
  const from = byId.get(Number(fromId));
  return from ? at(to) - at(from) : 0;
}

/** The slot of a scheduled activity's type; host queues count together as `compute.HOST`. */
function entry(map: Map<string, Slot>, scheduled: Scheduled | undefined): Slot {
  const attrs = scheduled?.activityTaskScheduledEventAttributes;
  const name = attrs?.activityType?.name ?? 'unknown';
  const queue = (attrs?.taskQueue?.name ?? '?').replace(/^compute\..*/, 'compute.HOST');
  let slot = map.get(name);
  if (!slot) map.set(name, (slot = { queue, count: 0, runs: [], waits: [] }));
  return slot;
}
