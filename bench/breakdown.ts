import type { Client } from '@temporalio/client';
import { runPool } from './stats.js';

/**
 * Where a build's time goes, read from Temporal's own event times in the histories of a
 * sample of runs: waiting for a worker to pick a workflow task up, running it, waiting for
 * an activity to be picked up, running it (per activity type). Side by side for ours and
 * the floor, the difference is what our own code adds; what both share is Temporal's and
 * the workers' overhead.
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
    /**
     * Workflow tasks after the first that went to the normal queue, not the worker's sticky one:
     * cache misses, each a replay.
     */
    workflowTasksOffSticky: number;
    /** Workflow tasks that timed out or failed and activities that timed out or failed: each one is a retry. */
    retries: number;
  };
  /** The longest wait between two consecutive events in the runs read: where a slow one stalled. */
  longestGap: { workflowId: string; ms: number; after: string; before: string } | null;
  /** Per activity type: how many per run, and the mean ms one takes to run (started → completed). */
  activities: Record<string, { perRun: number; runMs: number; waitMs: number }>;
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
  40: 'search attributes upserted',
};

export async function historyBreakdown(temporal: Client, workflowIds: string[]): Promise<Breakdown> {
  const sums = {
    total: 0,
    workflowTaskWait: 0,
    workflowTaskRun: 0,
    activityWait: 0,
    activityRun: 0,
    workflowTasksOffSticky: 0,
    retries: 0,
  };
  let longestGap: Breakdown['longestGap'] = null;
  const perType = new Map<string, { count: number; run: number; wait: number }>();
  const histories = await runPool(workflowIds.length, 4, (i) =>
    temporal.workflow.getHandle(workflowIds[i]).fetchHistory(),
  );
  for (const [i, history] of histories.entries()) {
    const events = history.events ?? [];
    const at = (e: (typeof events)[number]) =>
      Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    if (events.length) sums.total += at(events[events.length - 1]) - at(events[0]);
    let workflowTasks = 0;
    for (const [k, e] of events.entries()) {
      const type = Number(e.eventType);
      if (RETRIES.has(type)) sums.retries += 1;
      const since = k > 0 ? at(e) - at(events[k - 1]) : 0;
      if (since > (longestGap?.ms ?? 0)) {
        const name = (x: unknown) => NAMES[Number(x)] ?? `event type ${Number(x)}`;
        longestGap = {
          workflowId: workflowIds[i],
          ms: Math.round(since),
          after: name(events[k - 1].eventType),
          before: name(type),
        };
      }
      if (
        type === WFT_SCHEDULED &&
        workflowTasks++ > 0 &&
        Number(e.workflowTaskScheduledEventAttributes?.taskQueue?.kind) !== STICKY
      )
        sums.workflowTasksOffSticky += 1;
      if (type === WFT_STARTED)
        sums.workflowTaskWait += gap(byId, e.workflowTaskStartedEventAttributes?.scheduledEventId, e, at);
      if (type === WFT_COMPLETED)
        sums.workflowTaskRun += gap(byId, e.workflowTaskCompletedEventAttributes?.startedEventId, e, at);
      if (type === ACT_STARTED) {
        const scheduledId = Number(e.activityTaskStartedEventAttributes?.scheduledEventId);
        const wait = gap(byId, scheduledId, e, at);
        sums.activityWait += wait;
        entry(perType, activityType(byId, scheduledId)).wait += wait;
      }
      if (type === ACT_COMPLETED) {
        const a = e.activityTaskCompletedEventAttributes;
        const run = gap(byId, a?.startedEventId, e, at);
        sums.activityRun += run;
        const slot = entry(perType, activityType(byId, Number(a?.scheduledEventId)));
        slot.run += run;
        slot.count += 1;
      }
    }
  }
  const n = Math.max(1, histories.length);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    runs: histories.length,
    longestGap,
    perRun: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, r(v / n)])) as Breakdown['perRun'],
    activities: Object.fromEntries(
      [...perType].map(([name, s]) => [
        name,
        { perRun: r(s.count / n), runMs: r(s.run / Math.max(1, s.count)), waitMs: r(s.wait / Math.max(1, s.count)) },
      ]),
    ),
  };
}

type Event = {
  eventType?: unknown;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
};

function gap<E>(byId: Map<number, E>, fromId: unknown, to: E, at: (e: E) => number): number {
  const from = byId.get(Number(fromId));
  return from ? at(to) - at(from) : 0;
}

function activityType<E extends Event>(byId: Map<number, E>, scheduledId: number): string {
  return byId.get(scheduledId)?.activityTaskScheduledEventAttributes?.activityType?.name ?? 'unknown';
}

function entry(map: Map<string, { count: number; run: number; wait: number }>, name: string) {
  let slot = map.get(name);
  if (!slot) map.set(name, (slot = { count: 0, run: 0, wait: 0 }));
  return slot;
}
