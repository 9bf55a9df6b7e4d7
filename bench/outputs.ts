import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../core/config.js';
import type { BenchResults } from './report.js';
import { table } from './stats.js';

/**
 * The run's output folder (bench/results/<timestamp>/ unless `--out` names one): results.json,
 * results.md, the CPU profiles; bench/results/latest.json is a copy of the newest results.
 * `--compare <previous results.json>` prints each headline figure beside the earlier run's.
 */

export function outputDir(given: string | undefined, startedAt: Date): string {
  const dir = given
    ? path.resolve(given)
    : path.join(REPO_ROOT, 'bench', 'results', startedAt.toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** An older results file: its floor had the records; `--what-if-no-records` timed the step floor. */
type Legacy = { whatIfNoRecords?: { floor: BenchResults['floor'] } };
type Getter = (r: Partial<BenchResults> & Legacy) => number | null | undefined;

const stepFloor = (r: Partial<BenchResults> & Legacy) => r.whatIfNoRecords?.floor ?? r.floor;
const throughputRatio = (r: Partial<BenchResults> & Legacy) => {
  const floor = stepFloor(r)?.throughputPerSecond;
  const ours = r.ours?.throughputPerSecond;
  return r.ratio?.throughput ?? (floor && ours ? Math.round((ours / floor) * 100) / 100 : undefined);
};

/** The figures a run is judged by, each read defensively: an older results file may lack one. */
const HEADLINES: Array<[label: string, get: Getter, better: 'higher' | 'lower']> = [
  ['ours: builds/s (POST → ACTIVE)', (r) => r.ours?.throughputPerSecond, 'higher'],
  ['step floor: runs/s', (r) => stepFloor(r)?.throughputPerSecond, 'higher'],
  ['ours/step-floor builds/s', throughputRatio, 'higher'],
  ['ours: latency p50 ms', (r) => r.ours?.latency.p50Ms, 'lower'],
  ['ours: latency p95 ms', (r) => r.ours?.latency.p95Ms, 'lower'],
  ['step floor: latency p50 ms', (r) => stepFloor(r)?.latency.p50Ms, 'lower'],
  ['orchestration overhead p50 ms', (r) => r.breakdown?.ours.overhead?.p50Ms, 'lower'],
  ['orchestration overhead p95 ms', (r) => r.breakdown?.ours.overhead?.p95Ms, 'lower'],
  ['one at a time: POST → ACTIVE p50 ms', (r) => r.alone?.ours.latency.p50Ms, 'lower'],
  ['one at a time: orchestration overhead p50 ms', (r) => r.alone?.breakdown.ours.overhead?.p50Ms, 'lower'],
  ['time in step activities per build, ms', (r) => r.breakdown?.ours.perRun.stepRun, 'lower'],
  ['workflow tasks per build', (r) => r.breakdown?.ours.perRun.workflowTasks ?? r.plan?.workflowTasksPerBuild, 'lower'],
  ['activities per build (task queue round trips)', (r) => activitiesPerBuild(r), 'lower'],
  ['CPU ms per build, ours (all processes)', (r) => r.cpuMsPerBuild?.ours.total, 'lower'],
  ['CPU ms per build, step floor', (r) => (r.whatIfNoRecords ? undefined : r.cpuMsPerBuild?.floor.total), 'lower'],
  ['GET /v1/instances/:id req/s', (r) => r.api?.requestsPerSecond, 'higher'],
  ['GET /v1/instances/:id p99 ms', (r) => r.api?.latency.p99Ms, 'lower'],
  ['burst of 100 POST /v1/instances: p99 ms', (r) => r.burst?.latency.p99Ms, 'lower'],
  ['bounded load (200 creates, 4 projects): POST p99 ms', (r) => r.quotaLoad?.post.p99Ms, 'lower'],
  ['bounded load: GET /v1/instances/:id p99 ms', (r) => r.quotaLoad?.getUnderLoad.p99Ms, 'lower'],
  [
    'placement select p95 ms (spread)',
    (r) => (r.placement?.status === 'ok' ? r.placement.result.select.spread?.p95Ms : null),
    'lower',
  ],
  ['whole run s', (r) => r.totalSeconds, 'lower'],
];

function activitiesPerBuild(r: Partial<BenchResults>): number | undefined {
  const acts = r.breakdown?.ours.activities;
  return acts ? Math.round(Object.values(acts).reduce((s, a) => s + a.perRun, 0) * 10) / 10 : undefined;
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x);

/** The headline table as Markdown, with the command that made it. */
export function markdown(r: BenchResults): string {
  const rows = HEADLINES.map(([label, get]) => `| ${label} | ${fmt(get(r))} |`);
  const steps = Object.entries(r.breakdown.ours.activities).map(
    ([name, a]) => `| ${name} | ${a.queue} | ${a.perRun} | ${a.waitMs} / ${a.waitP95Ms} | ${a.runMs} / ${a.runP95Ms} |`,
  );
  const volume = r.options.volumeGb ? ` + ${r.options.volumeGb} GB volume` : '';
  return [
    `# npm run bench, ${r.startedAt}`,
    '',
    `\`${r.command}\` on ${r.machine.cpus} cores (${r.machine.cpuModel}), Node ${r.machine.node}; ` +
      `${r.options.builds} builds of ${r.options.flavor}${volume}, ` +
      `${r.options.concurrency} at a time, fake hypervisor at 0 ms; load average at the end ` +
      r.machine.loadAverageAtEnd.map((x) => x.toFixed(1)).join(' '),
    '',
    '| figure | value |',
    '| --- | --- |',
    ...rows,
    '',
    'Per step (ours, from the histories): queue wait and run time, mean / p95 ms',
    '',
    '| activity | queue | per build | wait ms | run ms |',
    '| --- | --- | --- | --- | --- |',
    ...steps,
    '',
  ].join('\n');
}

/** results.json and results.md in `dir`, and bench/results/latest.json; returns the JSON's path. */
export function writeOutputs(dir: string, r: BenchResults): string {
  const json = JSON.stringify(r, null, 2) + '\n';
  const file = path.join(dir, 'results.json');
  writeFileSync(file, json);
  writeFileSync(path.join(dir, 'results.md'), markdown(r));
  const latest = path.join(REPO_ROOT, 'bench', 'results', 'latest.json');
  mkdirSync(path.dirname(latest), { recursive: true });
  writeFileSync(latest, json);
  return file;
}

/** Each headline figure beside the previous run's, with the change (+ is better in the last column). */
export function compareWith(previousFile: string, r: BenchResults): string {
  const previous = JSON.parse(readFileSync(previousFile, 'utf8')) as Partial<BenchResults> & Legacy;
  const rows = HEADLINES.map(([label, get, better]) => {
    const before = get(previous);
    const now = get(r);
    if (typeof before !== 'number' || typeof now !== 'number') return [label, fmt(before), fmt(now), '-', '-'];
    const delta = Math.round((now - before) * 100) / 100;
    const pct = before === 0 ? '-' : `${(((now - before) / Math.abs(before)) * 100).toFixed(1)} %`;
    const gain = delta === 0 ? '=' : delta > 0 === (better === 'higher') ? 'better' : 'worse';
    return [label, before, now, `${delta > 0 ? '+' : ''}${delta} (${pct})`, gain];
  });
  return [
    `Compared with ${previousFile} (${previous.startedAt ?? 'unknown date'}):`,
    table(['', 'previous', 'now', 'change', ''], rows),
  ].join('\n');
}
