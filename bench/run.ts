/**
 * `npm run bench`: how fast Nimbus builds, and how far that is from the step floor.
 *
 *   node dist/bench/run.js [--builds 200] [--concurrency 20] [--rounds 4] [--alone 20] [--volume-gb 1]
 *     [--api-seconds 5] [--api-concurrency 16] [--placement-hosts 10000] [--cpu-prof]
 *     [--out DIR] [--compare PREVIOUS.json] [--echo]
 *
 * On the embedded stack (the test stack: fresh temp folder, free ports) with the fake
 * hypervisor at zero delay it runs N builds through the API with bounded concurrency and,
 * on the same server and workers, N runs of a bare workflow with one no-op activity per step
 * of a build on the same queues (the step floor: no records), alternating in rounds; it
 * prints throughput, latency percentiles, the orchestration overhead per build, a per-step
 * breakdown from the histories. Then --alone builds and floor runs one at a time: the overhead
 * of a build with nothing else in flight, which the loaded run cannot show (at concurrency 20
 * on 2 cores a build mostly waits behind the other 19, the floor's runs as much). Then the API's
 * read rate and placement among 10,000 hosts.
 * The figures go to results.json and results.md in bench/results/<timestamp>/ (or --out),
 * with the CPU profiles of the controller and the API under --cpu-prof. The last line is
 * `ours/step-floor builds/s: R`. `node dist/bench/run.js qemu` (`npm run bench -- qemu`) is
 * the real path instead: builds with the QEMU driver (bench/qemu-boot.ts).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startTestStack, type TestStack } from '../test/support/stack.js';
import { benchApiRate } from './api-rate.js';
import { historyBreakdown } from './breakdown.js';
import { benchNetwork, verifyActive } from './build-checks.js';
import { benchBuilds, buildOnce, mergePhases, type BuildRequestShape, type PhaseResult } from './build-latency.js';
import { addCpu, cpuDelta, cpuPerBuild, cpuSnapshot } from './cpu.js';
import { cpuProfArgs, readProfiles } from './cpu-profile.js';
import { benchFloor, floorPlanFromBuild } from './floor.js';
import { BenchHttp } from './http.js';
import { compareWith, outputDir, writeOutputs } from './outputs.js';
import { benchBurst, burstMain } from './burst.js';
import { benchPlacement } from './placement.js';
import { benchQuotaLoad } from './quota-load.js';
import { machineInfo } from './machine.js';
import { qemuBench } from './qemu-boot.js';
import { report, type BenchResults } from './report.js';

if (process.argv[2] === 'qemu') process.exit(await qemuBench(process.argv.slice(3)));
if (process.argv[2] === 'scale') process.exit(await (await import('./scale.js')).scaleBench(process.argv.slice(3)));
if (process.argv[2] === 'burst') process.exit(await burstMain(process.argv.slice(3)));

const { values: args } = parseArgs({
  options: {
    builds: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '20' },
    'volume-gb': { type: 'string', default: '1' },
    rounds: { type: 'string', default: '4' },
    alone: { type: 'string', default: '20' },
    'api-seconds': { type: 'string', default: '5' },
    'api-concurrency': { type: 'string', default: '16' },
    'placement-hosts': { type: 'string', default: '10000' },
    // The controller and the API run with Node's --cpu-prof; their profiles land in the output folder.
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string' },
    compare: { type: 'string' },
    echo: { type: 'boolean', default: false },
  },
});
const int = (name: keyof typeof args, min: number): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return value;
};
const builds = int('builds', 1);
const concurrency = int('concurrency', 1);
const volumeGb = int('volume-gb', 0);
const rounds = Math.min(int('rounds', 1), builds);
const alone = int('alone', 0);
const apiSeconds = int('api-seconds', 1);
const apiConcurrency = int('api-concurrency', 1);
const placementHosts = int('placement-hosts', 1);

const HOSTS = ['node-1', 'node-2', 'node-3'];
const WARMUP_BUILDS = HOSTS.length; // one per host: each node's image cache is filled before timing
const WARMUP_FLOORS = 2 * HOSTS.length;
const PROFILED_APPS = ['controller', 'api'];
const started = performance.now();
const out = outputDir(args.out, new Date());
const since = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const say = (line: string) => console.log(`[bench ${since()}] ${line}`);

// Every build is m1.tiny (1 vCPU, 512 MB, 1 GB); the hosts get room for all of them with margin,
// so the run measures the build path, not the scheduler saying no (+ 100 for the burst, 60 for the load).
const perHost = Math.ceil(((builds + alone + WARMUP_BUILDS + 100 + 60) * 1.5) / HOSTS.length);
const stackEnv = {
  NIMBUS_HYPERVISOR_DELAY_MS: '0',
  NIMBUS_LOG_LEVEL: 'warn',
  NIMBUS_HOST_VCPUS: String(Math.max(8, Math.ceil(perHost / 4))),
  NIMBUS_HOST_RAM_MB: String(Math.max(16384, perHost * 512)),
  NIMBUS_HOST_DISK_GB: String(Math.max(160, perHost)),
};

say(`starting the embedded stack (fake hypervisor, 0 ms per operation)`);
const stack: TestStack = await startTestStack({
  env: stackEnv,
  agents: HOSTS,
  echo: args.echo,
  nodeArgs: args['cpu-prof'] ? cpuProfArgs(out, PROFILED_APPS) : undefined,
});
let temporal: Client | undefined;
let results: BenchResults | undefined;
const http = new BenchHttp(stack.apiUrl, stack.adminToken, Math.max(concurrency, apiConcurrency) + 4);
try {
  temporal = new Client({
    connection: await Connection.connect({ address: stack.temporalAddress }),
    namespace: stack.temporalNamespace,
  });
  const request: BuildRequestShape = {
    flavor: 'm1.tiny',
    image: 'cirros',
    network: await benchNetwork(http, builds + alone + WARMUP_BUILDS),
    ...(volumeGb > 0 ? { volume: { sizeGb: volumeGb } } : {}),
  };
  say(`stack ready; warming up (${WARMUP_BUILDS} builds, one per host, and ${WARMUP_FLOORS} floor runs)`);
  const warm: string[] = [];
  for (let i = 0; i < WARMUP_BUILDS; i++) warm.push((await buildOnce(http, temporal, `warmup-${i}`, request)).id);
  const plan = await floorPlanFromBuild(temporal, warm[0]);
  await benchFloor(temporal, plan, { count: WARMUP_FLOORS, concurrency: HOSTS.length, hosts: HOSTS });
  say(
    `one build runs ${plan.queues.length} step activities (${Object.entries(plan.perQueue)
      .map(([q, n]) => `${q} ${n}`)
      .join(', ')}), ${plan.records.activities} records activities and ${plan.records.local} local ones, ` +
      `in ${plan.workflowTasks} workflow tasks`,
  );

  // Ours and the floor alternate in rounds, so a neighbour's load on this shared machine
  // falls on both rather than on whichever phase it happened to coincide with.
  const nameOf = (pid: number) => stack.supervisor.names().find((n) => stack.supervisor.pid(n) === pid);
  const oursRounds: PhaseResult[] = [];
  const floorRounds: PhaseResult[] = [];
  const cpu = { ours: {} as Record<string, number>, floor: {} as Record<string, number> };
  for (let round = 0; round < rounds; round++) {
    const count = Math.floor(builds / rounds) + (round < builds % rounds ? 1 : 0);
    say(
      `round ${round + 1}/${rounds}: ${count} builds through POST /v1/instances, ` +
        `then ${count} step-floor runs of ${plan.queues.length} no-op activities, ${concurrency} at a time`,
    );
    const cpu0 = cpuSnapshot(nameOf);
    oursRounds.push(await benchBuilds(http, temporal, { count, concurrency, request, prefix: `bench-r${round}` }));
    const cpu1 = cpuSnapshot(nameOf);
    floorRounds.push(await benchFloor(temporal, plan, { count, concurrency, hosts: HOSTS }));
    const cpu2 = cpuSnapshot(nameOf);
    addCpu(cpu.ours, cpuDelta(cpu0, cpu1));
    addCpu(cpu.floor, cpuDelta(cpu1, cpu2));
  }
  const ours = mergePhases(oursRounds);
  const ids = instanceIds(ours);
  const floor = mergePhases(floorRounds);
  const check = await verifyActive(http, ids);
  say(`reading the ${ours.runs.length + floor.runs.length} histories to see where the time goes`);
  const breakdown = {
    ours: await historyBreakdown(temporal, ours.runs),
    floor: await historyBreakdown(temporal, floor.runs),
  };

  let aloneResults: BenchResults['alone'] = null;
  if (alone > 0) {
    say(`one at a time: ${alone} builds, then ${alone} step-floor runs, nothing else in flight`);
    const oursAlone = await benchBuilds(http, temporal, {
      count: alone,
      concurrency: 1,
      request,
      prefix: 'bench-alone',
    });
    const floorAlone = await benchFloor(temporal, plan, { count: alone, concurrency: 1, hosts: HOSTS });
    const aloneCheck = await verifyActive(http, instanceIds(oursAlone));
    if (oursAlone.failed > 0 || floorAlone.failed > 0 || aloneCheck.active !== oursAlone.succeeded) {
      process.exitCode = 1;
    }
    aloneResults = {
      ours: withoutRuns(oursAlone),
      floor: withoutRuns(floorAlone),
      breakdown: {
        ours: await historyBreakdown(temporal, oursAlone.runs),
        floor: await historyBreakdown(temporal, floorAlone.runs),
      },
    };
  }
  say(`GET /v1/instances/:id for ${apiSeconds} s, ${apiConcurrency} keep-alive clients`);
  const api = await benchApiRate(http, {
    path: `/v1/instances/${ids[0] ?? warm[0]}`,
    seconds: apiSeconds,
    concurrency: apiConcurrency,
  });

  say('burst: 100 concurrent POST /v1/instances from one project (bench/burst.ts)');
  const burst = await benchBurst(stack, { requests: 100, ownNetwork: true });
  say('bounded load: 200 concurrent creates from 4 projects at a quota of 15 each (bench/quota-load.ts)');
  const quotaLoad = await benchQuotaLoad(stack);

  say(`placement among ${placementHosts} hosts`);
  // bench/placement.ts adds its hosts to this stack's database (named bench-*) and removes them after.
  const placement = await benchPlacement({ hosts: placementHosts, databaseUrl: stack.databaseUrl }).then(
    (result) => ({ status: 'ok' as const, result }),
    (err: Error) => ({ status: 'failed' as const, error: err.stack ?? String(err) }),
  );

  const cpuMsPerBuild = { ours: cpuPerBuild(cpu.ours, ours.succeeded), floor: cpuPerBuild(cpu.floor, floor.succeeded) };
  const ratio = {
    throughput: round(ours.throughputPerSecond / floor.throughputPerSecond),
    wallTime: round(ours.wallSeconds / floor.wallSeconds),
    // CPU time per build is the steadiest figure on a machine shared with other work.
    cpuPerBuild: round(cpuMsPerBuild.ours.total / cpuMsPerBuild.floor.total),
    mean: round(ours.latency.meanMs / floor.latency.meanMs),
    p50: round(ours.latency.p50Ms / floor.latency.p50Ms),
    p95: round(ours.latency.p95Ms / floor.latency.p95Ms),
    p99: round(ours.latency.p99Ms / floor.latency.p99Ms),
  };
  results = {
    startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    command: `node dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machineInfo(),
    options: {
      builds,
      concurrency,
      rounds,
      alone,
      flavor: request.flavor,
      network: request.network,
      volumeGb,
      hypervisorDelayMs: 0,
      apiSeconds,
      apiConcurrency,
      placementHosts,
    },
    plan: {
      activitiesPerBuild: plan.queues.length,
      perQueue: plan.perQueue,
      records: plan.records,
      workflowTasksPerBuild: plan.workflowTasks,
    },
    ours: { ...withoutRuns(ours), activeInPostgres: check.active, serverSideLatency: check.serverSide },
    floor: withoutRuns(floor),
    rounds: oursRounds.map((o, i) => ({
      builds: o.count,
      ours: { wallSeconds: o.wallSeconds, p50Ms: o.latency.p50Ms, p99Ms: o.latency.p99Ms },
      floor: {
        wallSeconds: floorRounds[i].wallSeconds,
        p50Ms: floorRounds[i].latency.p50Ms,
        p99Ms: floorRounds[i].latency.p99Ms,
      },
    })),
    ratio,
    cpuMsPerBuild,
    breakdown,
    alone: aloneResults,
    api,
    burst,
    quotaLoad,
    placement,
    httpRetriedOnReset: http.retriedOnReset,
    totalSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  if (ours.failed > 0 || floor.failed > 0 || check.active !== ours.succeeded) process.exitCode = 1;
} catch (err) {
  console.error(err);
  console.error(`Last stack output:\n${stack.logs(40).join('\n')}`);
  process.exitCode = 1;
} finally {
  http.close();
  await temporal?.connection.close();
  await stack.stop();
  say('stack stopped');
}

if (results) {
  // The apps write their profiles as they exit: read them once the stack has stopped.
  if (args['cpu-prof']) results.profiles = { dir: out, apps: readProfiles(out, PROFILED_APPS) };
  report(results);
  say(`figures written to ${writeOutputs(out, results)} and results.md beside it (and bench/results/latest.json)`);
  if (args.compare) console.log(compareWith(args.compare, results));
  console.log(`ours/step-floor builds/s: ${results.ratio.throughput.toFixed(2)}`);
}

/** The instances a phase of builds made, from their workflow ids (`instance-<id>`). */
function instanceIds(p: PhaseResult): string[] {
  return p.runs.map((r) => r.workflowId.replace(/^instance-/, ''));
}

/** A phase's figures without its list of runs (the JSON stays small). */
function withoutRuns(p: PhaseResult): Omit<PhaseResult, 'runs'> {
  const copy: Partial<PhaseResult> = { ...p };
  delete copy.runs;
  return copy as Omit<PhaseResult, 'runs'>;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
