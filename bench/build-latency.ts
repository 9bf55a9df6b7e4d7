import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createInstanceWorkflowId } from '../contracts/task-queues.js';
import type { BenchHttp } from './http.js';
import { runPool, summarize, type LatencySummary } from './stats.js';

export interface BuildRequestShape {
  flavor: string;
  image: string;
  network: string;
  volume?: { sizeGb: number };
}

/** One timed run: its whole latency, the part until the start was accepted, and its workflow. */
export interface TimedRun {
  ms: number;
  acceptedMs: number;
  workflowId: string;
}

export interface PhaseResult {
  count: number;
  succeeded: number;
  failed: number;
  /** From the first request to the last completion. */
  wallSeconds: number;
  throughputPerSecond: number;
  /** Start to completion (for ours: POST to ACTIVE). */
  latency: LatencySummary;
  /** Start until accepted (for ours: the POST's 202; for the floor: the client's start call). */
  accepted: LatencySummary;
  /** The first few failures, as an operator would read them. */
  errors: string[];
  /** Every run, kept so that rounds can be merged into exact percentiles. */
  runs: TimedRun[];
}

/**
 * One build as a client sees it: POST /v1/instances, then wait until the build is ACTIVE.
 * The wait is on the workflow's result through the Temporal client (a long poll), not by
 * polling GET /v1/instances/:id, so that the measuring does not load the API it measures;
 * the saga records ACTIVE in Postgres as its last activity, so the two moments are one
 * workflow task apart. The floor is timed the same way.
 */
export async function buildOnce(
  http: BenchHttp,
  temporal: Client,
  name: string,
  request: BuildRequestShape,
): Promise<TimedRun & { id: string }> {
  const t0 = performance.now();
  // The name is unique in the run, so it is the build's key: a POST repeated after a reset
  // socket (bench/http.ts) gets the same instance back instead of a second build.
  const res = await http.request<{ id: string }>(
    'POST',
    '/v1/instances',
    { name, ...request },
    { 'Idempotency-Key': `bench-${name}` },
  );
  if (res.status !== 202) throw new Error(`POST /v1/instances answered ${res.status}: ${JSON.stringify(res.body)}`);
  const acceptedMs = performance.now() - t0;
  const workflowId = createInstanceWorkflowId(res.body.id);
  await buildResult(temporal, workflowId);
  return { id: res.body.id, ms: performance.now() - t0, acceptedMs, workflowId };
}

/** The build's result; its workflow starts just after the 202 (from the API's outbox), so it may not exist yet. */
async function buildResult(temporal: Client, workflowId: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; ; await sleep(20)) {
    try {
      return await temporal.workflow.getHandle(workflowId).result();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || Date.now() > deadline) throw err;
    }
  }
}

/** Runs `count` timed tasks with bounded concurrency and summarizes them. */
export async function timedPhase(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<TimedRun>,
): Promise<PhaseResult> {
  const errors: string[] = [];
  const t0 = performance.now();
  const outcomes = await runPool(count, concurrency, async (i) => {
    try {
      return await task(i);
    } catch (err) {
      if (errors.length < 5) errors.push(describe(err));
      return null;
    }
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  return phaseResult(
    count,
    wallSeconds,
    outcomes.filter((x): x is TimedRun => x !== null),
    errors,
  );
}

/** N builds through the API with bounded concurrency. */
export function benchBuilds(
  http: BenchHttp,
  temporal: Client,
  opts: { count: number; concurrency: number; request: BuildRequestShape; prefix: string },
): Promise<PhaseResult> {
  return timedPhase(opts.count, opts.concurrency, (i) =>
    buildOnce(http, temporal, `${opts.prefix}-${i}`, opts.request),
  );
}

/** Rounds run one after another: counts and wall time add up, percentiles come from all runs. */
export function mergePhases(rounds: PhaseResult[]): PhaseResult {
  return phaseResult(
    rounds.reduce((s, r) => s + r.count, 0),
    rounds.reduce((s, r) => s + r.wallSeconds, 0),
    rounds.flatMap((r) => r.runs),
    rounds.flatMap((r) => r.errors).slice(0, 5),
  );
}

function phaseResult(count: number, wallSeconds: number, runs: TimedRun[], errors: string[]): PhaseResult {
  return {
    count,
    succeeded: runs.length,
    failed: count - runs.length,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    throughputPerSecond: Math.round((runs.length / wallSeconds) * 100) / 100,
    latency: summarize(runs.map((r) => r.ms)),
    accepted: summarize(runs.map((r) => r.acceptedMs)),
    errors,
    runs,
  };
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; type?: string } };
  return [e.message, e.cause?.type, e.cause?.message].filter(Boolean).join(': ') || String(err);
}
