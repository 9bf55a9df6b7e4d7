/**
 * `npm run bench -- scale [--hosts 3,100,1000] [--builds 60,300,2000] [--concurrency 20] [--pollers 1]`
 *
 * Nimbus with many compute hosts: for each fleet size, a fresh embedded stack without regular
 * agents, one process of simulated hosts (apps/compute-agent/simulated-hosts.ts: fake driver at
 * zero delay, a queue, a registration and a heartbeat per host), sized in m1.tiny so the
 * builds fill it; then the builds through the API. Per size it reports builds/s, the
 * scheduler's selectHost p50/p95 (from the histories, and the query alone), the Temporal
 * server's CPU per build and while idle, and that no host ended over capacity, also after
 * more builds than the fleet holds. Figures: bench/results/scale-<timestamp>.json,
 * scale-latest.json and scale-latest.md.
 */
import { machineInfo } from './machine.js';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { formatScale, writeScaleResults, type ScaleResults } from './scale-report.js';
import { runSize, type SizeResult } from './scale-size.js';

/** Builds at each default size: 2,000 at a thousand hosts (issue 17), fewer where fewer hosts hold fewer. */
const DEFAULT_BUILDS: Record<number, number> = { 3: 60, 100: 300, 1000: 2000 };
export const PLACEMENT_P95_TARGET_MS = 20;

export async function scaleBench(argv: string[]): Promise<number> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string', default: '3,100,1000' },
      builds: { type: 'string' },
      concurrency: { type: 'string', default: '20' },
      pollers: { type: 'string', default: '1' },
      'subset-size': { type: 'string', default: '3' },
      sample: { type: 'string', default: '200' },
      echo: { type: 'boolean', default: false },
    },
  });
  const ints = (raw: string, name: string): number[] =>
    raw.split(',').map((x) => {
      const n = Number(x.trim());
      if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: positive integers, comma-separated (not ${x})`);
      return n;
    });
  const sizes = ints(args.hosts, 'hosts');
  const builds = args.builds ? ints(args.builds, 'builds') : sizes.map((h) => DEFAULT_BUILDS[h] ?? 2 * h);
  if (builds.length !== sizes.length) throw new Error('--builds needs one count per --hosts size');
  // The fleet is sized by the builds (bench/scale-fleet.ts): every host holds one m1.tiny at least.
  for (const [i, hosts] of sizes.entries())
    if (builds[i] < hosts) throw new Error(`--builds: ${hosts} hosts need ${hosts} builds at least to fill them`);
  const concurrency = ints(args.concurrency, 'concurrency')[0];

  const started = performance.now();
  const say = (line: string) => console.log(`[scale ${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`);
  const results: SizeResult[] = [];
  for (const [i, hosts] of sizes.entries()) {
    results.push(
      await runSize(
        {
          hosts,
          builds: builds[i],
          concurrency,
          pollersPerHost: ints(args.pollers, 'pollers')[0],
          subsetSize: ints(args['subset-size'], 'subset-size')[0],
          sample: ints(args.sample, 'sample')[0],
          echo: args.echo,
        },
        say,
      ),
    );
  }
  const out: ScaleResults = {
    startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    command: `npm run bench -- scale ${argv.join(' ')}`.trim(),
    machine: machineInfo(),
    placementTargetMs: PLACEMENT_P95_TARGET_MS,
    sizes: results,
    totalSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  console.log(formatScale(out));
  const written = writeScaleResults(out);
  say(`figures written to ${written.json} and ${written.markdown}`);
  const broken = results.some(
    (r) =>
      r.capacity.overCapacity.length > 0 ||
      r.overflow.capacity.overCapacity.length > 0 ||
      r.capacity.violations.length > 0 ||
      r.overflow.capacity.violations.length > 0,
  );
  return broken ? 1 : 0;
}
