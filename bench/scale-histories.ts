import type { Client } from '@temporalio/client';
import { runPool, summarize, type LatencySummary } from './stats.js';

/**
 * What a scale run reads from a sample of its builds' histories (Temporal's own event times):
 * the scheduler's selectHost as the saga ran it (activity started → completed: the query
 * plus the worker's round trip), how long activities waited on their queues (scheduled →
 * started, by queue kind: a slow matcher or too few pollers show here first), and how big a
 * build's history is (events, bytes): what the server stores and replays per build.
 */
export interface HistorySample {
  runs: number;
  /** Every selectHost of the sampled builds (a retry's too). */
  selectHost: LatencySummary;
  /** Mean ms an activity waited for a worker, per queue kind. */
  activityWaitMs: { scheduler: number | null; compute: number | null; other: number | null };
  /** Mean activities per build, per queue kind. */
  activitiesPerBuild: { scheduler: number; compute: number; other: number };
  eventsPerBuild: { mean: number; max: number };
  /** JSON size of a history, a stand-in for what the server stores per build. */
  historyKb: { mean: number; max: number };
}

const ACT_SCHEDULED = 10;
const ACT_STARTED = 11;
const ACT_COMPLETED = 12;

type Kind = keyof HistorySample['activitiesPerBuild'];
const kindOf = (queue: string | null | undefined): Kind =>
  queue === 'scheduler' ? 'scheduler' : queue?.startsWith('compute.') ? 'compute' : 'other';

export async function readHistories(temporal: Client, workflowIds: string[]): Promise<HistorySample> {
  const histories = await runPool(workflowIds.length, 4, (i) =>
    temporal.workflow.getHandle(workflowIds[i]).fetchHistory(),
  );
  const select: number[] = [];
  const wait: Record<Kind, number[]> = { scheduler: [], compute: [], other: [] };
  const events: number[] = [];
  const kb: number[] = [];
  for (const history of histories) {
    const list = history.events ?? [];
    events.push(list.length);
    kb.push(JSON.stringify(history).length / 1024);
    const at = (e: (typeof list)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    const byId = new Map(list.map((e) => [Number(e.eventId), e]));
    for (const e of list) {
      const type = Number(e.eventType);
      if (type === ACT_STARTED) {
        const scheduled = byId.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId));
        const attrs = scheduled?.activityTaskScheduledEventAttributes;
        if (scheduled && Number(scheduled.eventType) === ACT_SCHEDULED)
          wait[kindOf(attrs?.taskQueue?.name)].push(at(e) - at(scheduled));
      } else if (type === ACT_COMPLETED) {
        const done = e.activityTaskCompletedEventAttributes;
        const started = byId.get(Number(done?.startedEventId));
        const scheduled = byId.get(Number(done?.scheduledEventId));
        if (started && scheduled?.activityTaskScheduledEventAttributes?.activityType?.name === 'selectHost')
          select.push(at(e) - at(started));
      }
    }
  }
  const n = Math.max(1, histories.length);
  const mean = (xs: number[]) => (xs.length ? round(xs.reduce((s, x) => s + x, 0) / xs.length) : null);
  return {
    runs: histories.length,
    selectHost: summarize(select),
    activityWaitMs: { scheduler: mean(wait.scheduler), compute: mean(wait.compute), other: mean(wait.other) },
    activitiesPerBuild: {
      scheduler: round(wait.scheduler.length / n),
      compute: round(wait.compute.length / n),
      other: round(wait.other.length / n),
    },
    eventsPerBuild: { mean: mean(events) ?? 0, max: Math.max(0, ...events) },
    historyKb: { mean: mean(kb) ?? 0, max: round(Math.max(0, ...kb)) },
  };
}

/** `n` items spread evenly over the list. */
export function spreadSample<T>(list: T[], n: number): T[] {
  if (list.length <= n) return list;
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
