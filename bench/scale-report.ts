import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../core/config.js';
import type { SizeResult } from './scale-size.js';
import { table } from './stats.js';

/** What `npm run bench -- scale` writes to bench/results/scale-*.json (and prints). */
export interface ScaleResults {
  startedAt: string;
  command: string;
  machine: { cpus: number; cpuModel: string | null; memoryGb: number; node: string; loadAverageAtEnd: number[] };
  placementTargetMs: number;
  sizes: SizeResult[];
  totalSeconds: number;
}

const HEADER = [
  'hosts',
  'builds',
  'ACTIVE',
  'ERROR',
  'builds/s',
  'build p50 s',
  'placement p50 ms',
  'placement p95 ms',
  'selectHost in saga p95 ms',
  'claims refused',
  'Temporal CPU s/build',
  'Temporal idle CPU %',
  'hosts over capacity',
  'overflow: sent → NoValidHost',
];

function row(r: SizeResult): Array<string | number> {
  const over = r.capacity.overCapacity.length + r.overflow.capacity.overCapacity.length;
  return [
    r.hosts,
    r.builds,
    r.outcomes.byStatus.ACTIVE ?? 0,
    r.outcomes.byStatus.ERROR ?? 0,
    r.buildsPerSecond,
    Math.round(r.latency.p50Ms) / 1000,
    r.placement.scheduler.p50Ms,
    r.placement.scheduler.p95Ms,
    r.placement.saga.p95Ms,
    r.outcomes.attempts.refused ?? 0,
    r.temporalCpuSecondsPerBuild,
    Math.round((r.idleCpuPerSecond.temporal ?? 0) * 1000) / 10,
    over,
    `${r.overflow.sent} → ${r.overflow.outcomes.faults.NoValidHost ?? 0}`,
  ];
}

/** Per size: where the CPU went, the queues' waits and the histories' size. */
function detailRows(r: SizeResult): Array<string | number> {
  const cpu = r.cpuMsPerBuild;
  return [
    r.hosts,
    cpu.total,
    cpu.temporal ?? 0,
    cpu.postgres ?? 0,
    cpu.controller ?? 0,
    cpu.api ?? 0,
    cpu['simulated-hosts'] ?? 0,
    r.histories.activityWaitMs.scheduler ?? '-',
    r.histories.activityWaitMs.compute ?? '-',
    r.histories.eventsPerBuild.mean,
    r.histories.historyKb.mean,
    r.hosts * r.pollersPerHost,
    Math.round(r.fleet.readyMs / 100) / 10,
    r.fleet.rssMbEnd ?? '-',
  ];
}
const DETAIL_HEADER = [
  'hosts',
  'CPU ms/build',
  'temporal',
  'postgres',
  'controller',
  'api',
  'fleet',
  'scheduler queue wait ms',
  'compute queue wait ms',
  'events/build',
  'history KB',
  'polls open',
  'fleet up s',
  'fleet RSS MB',
];

/** Sentences about what limits the run, from the figures (not from expectations). */
export function findings(s: ScaleResults): string[] {
  const out: string[] = [];
  const [first, last] = [s.sizes[0], s.sizes[s.sizes.length - 1]];
  for (const r of s.sizes) {
    const top = Object.entries(r.cpuMsPerBuild)
      .filter(([g]) => g !== 'total')
      .sort(([, a], [, b]) => b - a)
      .slice(0, 2)
      .map(([g, ms]) => `${g} ${ms} ms`)
      .join(', ');
    const idle = r.idleCpuPerSecond.temporal ?? 0;
    out.push(
      `${r.hosts} hosts: ${r.cpuMsPerBuild.total} CPU ms per build (most: ${top}); idle, with ` +
        `${r.hosts * r.pollersPerHost} long polls open, Temporal used ${Math.round(idle * 1000)} ms/s ` +
        `and the fleet ${Math.round((r.idleCpuPerSecond['simulated-hosts'] ?? 0) * 1000)} ms/s.`,
    );
  }
  if (first !== last) {
    const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : NaN);
    out.push(
      `From ${first.hosts} to ${last.hosts} hosts: builds/s ×${ratio(last.buildsPerSecond, first.buildsPerSecond)}, ` +
        `Temporal CPU per build ×${ratio(last.temporalCpuSecondsPerBuild, first.temporalCpuSecondsPerBuild)}, ` +
        `compute-queue wait ${first.histories.activityWaitMs.compute} → ${last.histories.activityWaitMs.compute} ms, ` +
        `history ${first.histories.eventsPerBuild.mean} → ${last.histories.eventsPerBuild.mean} events per build, ` +
        `placement p95 ${first.placement.scheduler.p95Ms} → ${last.placement.scheduler.p95Ms} ms ` +
        `(selectHost in the saga ${first.placement.saga.p95Ms} → ${last.placement.saga.p95Ms} ms).`,
    );
  }
  return out;
}

export function formatScale(s: ScaleResults): string {
  const out = ['', `Scale: m1.tiny builds, fleets sized to be filled by them (${s.command})`];
  out.push(table(HEADER, s.sizes.map(row)));
  out.push('');
  out.push(table(DETAIL_HEADER, s.sizes.map(detailRows)));
  out.push('');
  out.push(...findings(s));
  for (const r of s.sizes) {
    const problems = [
      ...r.capacity.overCapacity,
      ...r.overflow.capacity.overCapacity,
      ...r.capacity.violations,
      ...r.overflow.capacity.violations,
    ];
    if (problems.length) out.push(`${r.hosts} hosts: ${problems.length} problems: ${problems.slice(0, 5).join('; ')}`);
    if (r.errors.length) out.push(`${r.hosts} hosts, first failures: ${r.errors.slice(0, 3).join(' | ')}`);
  }
  const met = s.sizes.every((r) => r.placement.scheduler.p95Ms < s.placementTargetMs);
  out.push(
    `placement (the scheduler's HostSelector.select) p95 < ${s.placementTargetMs} ms at every size: ` +
      (met ? 'met' : 'MISSED'),
  );
  const load = s.machine.loadAverageAtEnd.map((x) => x.toFixed(1)).join(' ');
  out.push(
    `Total: ${s.totalSeconds} s on ${s.machine.cpus} cores (${s.machine.cpuModel}); load average at the end ${load}`,
  );
  return out.join('\n');
}

function markdownTable(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function markdownScale(s: ScaleResults): string {
  return [
    `\`${s.command}\` (${s.startedAt}, ${s.machine.cpus} cores, ${s.machine.cpuModel}; ${s.totalSeconds} s)`,
    '',
    markdownTable(HEADER, s.sizes.map(row)),
    '',
    markdownTable(DETAIL_HEADER, s.sizes.map(detailRows)),
    '',
    ...findings(s).map((f) => `- ${f}`),
    '',
  ].join('\n');
}

/** bench/results/scale-<timestamp>.json, scale-latest.json and scale-latest.md; returns their repo paths. */
export function writeScaleResults(s: ScaleResults): { json: string; markdown: string } {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(s, null, 2) + '\n';
  const file = path.join(dir, `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, json);
  writeFileSync(path.join(dir, 'scale-latest.json'), json);
  const md = path.join(dir, 'scale-latest.md');
  writeFileSync(md, markdownScale(s));
  return { json: path.relative(REPO_ROOT, file), markdown: path.relative(REPO_ROOT, md) };
}
