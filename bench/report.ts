import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../core/config.js';
import type { ApiRateResult } from './api-rate.js';
import type { Breakdown } from './breakdown.js';
import type { PhaseResult } from './build-latency.js';
import type { AppProfile } from './cpu-profile.js';
import { formatBurst, type BurstResults } from './burst.js';
import { formatPlacement, type PlacementBenchResult } from './placement.js';
import type { QuotaLoadFigures } from './quota-load.js';
import type { QemuBenchResults } from './qemu-boot.js';
import { table } from './stats.js';

type Phase = Omit<PhaseResult, 'runs'>;

/** What `npm run bench` writes to bench/results/*.json (and prints). */
export interface BenchResults {
  startedAt: string;
  command: string;
  machine: { cpus: number; cpuModel: string | null; memoryGb: number; node: string; loadAverageAtEnd: number[] };
  options: {
    builds: number;
    concurrency: number;
    rounds: number;
    /** Builds (and floor runs) timed one at a time after the loaded rounds; 0: none. */
    alone?: number;
    flavor: string;
    network: string;
    volumeGb: number;
    hypervisorDelayMs: number;
    apiSeconds: number;
    apiConcurrency: number;
    placementHosts: number;
  };
  /** The step floor's plan: the saga's own steps, read from a build's history (records left out). */
  plan: {
    activitiesPerBuild: number;
    perQueue: Record<string, number>;
    records: { activities: number; local: number };
    workflowTasksPerBuild: number;
  };
  ours: Phase & {
    activeInPostgres: number;
    serverSideLatency: { what: string; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };
  };
  floor: Phase;
  rounds: unknown[];
  /** throughput: ours builds/s ÷ step-floor runs/s (the goal: ≥ 0.8); the rest: ours ÷ floor. */
  ratio: {
    throughput: number;
    wallTime: number;
    cpuPerBuild: number;
    mean: number;
    p50: number;
    p95: number;
    p99: number;
  };
  cpuMsPerBuild: { ours: Record<string, number>; floor: Record<string, number> };
  breakdown: { ours: Breakdown; floor: Breakdown };
  /**
   * Builds and floor runs one at a time (--alone): the orchestration overhead of a build with
   * nothing else in flight, which is what the goal of p50 < 300 ms is judged by. Under the
   * loaded rounds' concurrency the overhead is mostly the wait behind the other builds.
   */
  alone?: { ours: Phase; floor: Phase; breakdown: { ours: Breakdown; floor: Breakdown } } | null;
  /** --cpu-prof: where the profiles are and each one's top self time. */
  profiles?: { dir: string; apps: AppProfile[] };
  api: ApiRateResult;
  burst: BurstResults;
  quotaLoad: QuotaLoadFigures;
  placement: { status: 'ok'; result: PlacementBenchResult } | { status: 'failed'; error: string };
  /** Requests the bench sent again after the server closed their kept-alive socket (bench/http.ts). */
  httpRetriedOnReset?: number;
  totalSeconds: number;
}

export function report(r: BenchResults): void {
  const row = (label: string, p: Phase) => [
    label,
    p.succeeded,
    p.failed,
    p.wallSeconds,
    p.throughputPerSecond,
    p.latency.meanMs,
    p.latency.p50Ms,
    p.latency.p95Ms,
    p.latency.p99Ms,
  ];
  const out: string[] = [''];
  out.push(
    `Builds: ${r.options.builds} × ${r.options.flavor}` +
      `${r.options.volumeGb ? ` + ${r.options.volumeGb} GB volume` : ''}, ${r.options.concurrency} at a time, ` +
      `in ${r.options.rounds} rounds alternating with the step floor: ${r.plan.activitiesPerBuild} no-op ` +
      `activities, one per step of a build (${Object.entries(r.plan.perQueue)
        .map(([q, n]) => `${q} ${n}`)
        .join(', ')}); a build's records: ${r.plan.records.activities} activities, ` +
      `${r.plan.records.local} local activities`,
  );
  out.push(
    table(
      ['', 'ok', 'failed', 'wall s', 'builds/s', 'mean ms', 'p50 ms', 'p95 ms', 'p99 ms'],
      [
        row('ours (POST → ACTIVE)', r.ours),
        row('step floor (no-op steps)', r.floor),
        [
          'ratio ours/floor',
          '',
          '',
          r.ratio.wallTime,
          r.ratio.throughput,
          r.ratio.mean,
          r.ratio.p50,
          r.ratio.p95,
          r.ratio.p99,
        ],
      ],
    ),
  );
  out.push(
    `ACTIVE in the API: ${r.ours.activeInPostgres}/${r.ours.succeeded}; server-side (launchedAt - createdAt) ` +
      `p50 ${r.ours.serverSideLatency.p50Ms} ms, p99 ${r.ours.serverSideLatency.p99Ms} ms`,
  );
  out.push('');
  out.push(
    `Where a build's time goes (mean ms per run, from ${r.breakdown.ours.runs} + ${r.breakdown.floor.runs} histories):`,
  );
  const b = (k: keyof Breakdown['perRun']) => [
    r.breakdown.ours.perRun[k],
    r.breakdown.floor.perRun[k],
    round1(r.breakdown.ours.perRun[k] - r.breakdown.floor.perRun[k]),
  ];
  out.push(
    table(
      ['', 'ours', 'floor', 'difference'],
      [
        [
          'accepted (POST 202 / client start), p50',
          r.ours.accepted.p50Ms,
          r.floor.accepted.p50Ms,
          round1(r.ours.accepted.p50Ms - r.floor.accepted.p50Ms),
        ],
        ['workflow tasks waiting for the worker', ...b('workflowTaskWait')],
        ['workflow tasks running', ...b('workflowTaskRun')],
        ['activities waiting for a worker', ...b('activityWait')],
        ['activities running', ...b('activityRun')],
        ['  of which step activities', ...b('stepRun')],
        ['workflow tasks', ...b('workflowTasks')],
        ['local activities (records)', ...b('localActivities')],
        ['first to last event', ...b('total')],
        ['workflow tasks off the sticky queue (cache misses)', ...b('workflowTasksOffSticky')],
        ['timeouts and failures (each a retry)', ...b('retries')],
      ],
    ),
  );
  for (const [label, g] of [
    ['ours', r.breakdown.ours.longestGap],
    ['floor', r.breakdown.floor.longestGap],
  ] as const) {
    if (g)
      out.push(
        `slowest run, ${label}: its longest wait was ${g.ms} ms, from ${g.after} to ${g.before} (${g.workflowId})`,
      );
  }
  const o = r.breakdown.ours.overhead;
  const f = r.breakdown.floor.overhead;
  out.push(
    `Orchestration overhead per build (POST → ACTIVE minus time inside step activities; records count ` +
      `as overhead), ${r.options.concurrency} at a time: p50 ${o.p50Ms} ms, p95 ${o.p95Ms} ms; step floor: ` +
      `p50 ${f.p50Ms} ms, p95 ${f.p95Ms} ms (at this concurrency most of it is the wait behind the other runs)`,
  );
  if (r.alone) {
    const a = r.alone;
    const ao = a.breakdown.ours.overhead;
    const af = a.breakdown.floor.overhead;
    out.push(
      `One at a time (${a.ours.succeeded} builds, then ${a.floor.succeeded} floor runs): POST → ACTIVE p50 ` +
        `${a.ours.latency.p50Ms} ms, p95 ${a.ours.latency.p95Ms} ms; step floor p50 ${a.floor.latency.p50Ms} ms. ` +
        `Orchestration overhead p50 ${ao.p50Ms} ms, p95 ${ao.p95Ms} ms ` +
        `(goal p50 < 300 ms: ${ao.p50Ms < 300 ? 'met' : 'not met'}); step floor p50 ${af.p50Ms} ms`,
    );
  }
  const noop = r.breakdown.floor.activities.noop;
  out.push(
    table(
      [
        'step (ours)',
        'queue',
        'per build',
        'wait ms',
        'wait p95',
        'run ms',
        'run p95',
        `run − no-op (${noop?.runMs ?? '-'})`,
      ],
      Object.entries(r.breakdown.ours.activities).map(([name, a]) => [
        name,
        a.queue,
        a.perRun,
        a.waitMs,
        a.waitP95Ms,
        a.runMs,
        a.runP95Ms,
        noop ? round1(a.runMs - noop.runMs) : '-',
      ]),
    ),
  );
  const cpuRow = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([g, ms]) => `${g} ${ms}`)
      .join(', ');
  out.push(`CPU ms per build, ours:  ${cpuRow(r.cpuMsPerBuild.ours)}`);
  out.push(`CPU ms per build, floor: ${cpuRow(r.cpuMsPerBuild.floor)}`);
  out.push(`CPU per build, ours/floor: ${r.ratio.cpuPerBuild}`);
  for (const p of r.profiles?.apps ?? []) {
    out.push('');
    out.push(`CPU profile of the ${p.app} (${p.file}), ${p.busyMs} ms busy; top self time:`);
    out.push(
      table(
        ['function', 'where', 'self ms', '%'],
        p.top.map((t) => [t.function, t.where, t.selfMs, t.percent]),
      ),
    );
  }
  out.push('');
  out.push(
    table(
      ['API read', 'clients', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
      [
        [
          `GET /v1/instances/:id (${r.api.seconds} s)`,
          r.api.concurrency,
          r.api.requests,
          r.api.requestsPerSecond,
          r.api.latency.p50Ms,
          r.api.latency.p99Ms,
          r.api.errors,
        ],
        [
          `GET under the bounded load (${r.quotaLoad.creates} creates, ${r.quotaLoad.projects} projects)`,
          1,
          r.quotaLoad.getUnderLoad.count,
          '',
          r.quotaLoad.getUnderLoad.p50Ms,
          r.quotaLoad.getUnderLoad.p99Ms,
          '',
        ],
      ],
    ),
  );
  const q = r.quotaLoad;
  out.push(
    `bounded load: ${q.creates} concurrent creates from ${q.projects} projects at a quota of ${q.quotaPerProject}: ` +
      `${q.accepted} accepted, ${q.refusedByQuota} refused by the quota, ${q.unexpected} other answers, ` +
      `${q.active} ACTIVE; POST p50 ${q.post.p50Ms} ms, p99 ${q.post.p99Ms} ms; settled in ${q.settledSeconds} s`,
  );
  out.push(formatBurst(r.burst));
  out.push('');
  out.push(
    r.placement.status === 'ok'
      ? formatPlacement(r.placement.result)
      : `placement: failed: ${r.placement.error.split('\n')[0]}`,
  );
  if (r.httpRetriedOnReset) {
    out.push(`requests sent again after the API had closed their kept-alive socket: ${r.httpRetriedOnReset}`);
  }
  const load = r.machine.loadAverageAtEnd.map((x) => x.toFixed(1)).join(' ');
  out.push(
    `Total: ${r.totalSeconds} s on ${r.machine.cpus} cores (${r.machine.cpuModel}); load average at the end ${load}`,
  );
  out.push('Real guests (the QEMU driver, POST → ACTIVE and POST → guest marker): npm run bench -- qemu');
  console.log(out.join('\n'));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Writes the figures to bench/results/<kind>-<timestamp>.json and latest.json (kind `bench`)
 * or <kind>-latest.json; returns the first's repo path.
 */
export function writeResults(r: BenchResults | QemuBenchResults, kind = 'bench'): string {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(r, null, 2) + '\n';
  const file = path.join(dir, `${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, json);
  writeFileSync(path.join(dir, kind === 'bench' ? 'latest.json' : `${kind}-latest.json`), json);
  return path.relative(REPO_ROOT, file);
}
