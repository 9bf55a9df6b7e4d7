/**
 * `npm run bench`: how fast Nimbus builds, and how far that is from the floor.
 *
 *   node dist/bench/run.js [--builds 200] [--concurrency 20] [--rounds 4] [--volume-gb 1]
 *     [--api-seconds 5] [--api-concurrency 16] [--placement-hosts 10000] [--what-if-no-records] [--echo]
 *
 * On the embedded stack (the test stack: fresh temp folder, free ports) with the fake
 * hypervisor at zero delay it runs N builds through the API with bounded concurrency and,
 * on the same server and workers, N runs of a bare workflow with as many no-op activities
 * on the same queues (the floor), alternating in rounds; it prints throughput, latency
 * percentiles, the ratio ours/floor and where the time goes; then the API's read rate and
 * placement among 10,000 hosts. All figures go to bench/results/bench-<timestamp>.json and
 * bench/results/latest.json. `node dist/bench/run.js qemu` (`npm run bench -- qemu`) is the real
 * path instead: builds with the QEMU driver (bench/qemu-boot.ts).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { TaskQueues } from '../contracts/task-queues.js';
import { startTestStack, type TestStack } from '../test/support/stack.js';
import { benchApiRate } from './api-rate.js';
import { historyBreakdown, type Breakdown } from './breakdown.js';
import {
  benchBuilds,
  buildOnce,
  mergePhases,
  type BuildRequestShape,
  type PhaseResult,
  type TimedRun,
} from './build-latency.js';
import { addCpu, cpuDelta, cpuPerBuild, cpuSnapshot } from './cpu.js';
import { benchFloor, floorPlanFromBuild } from './floor.js';
import { BenchHttp } from './http.js';
import { benchBurst, burstMain, formatBurst } from './burst.js';
import { benchPlacement } from './placement.js';
import { qemuBench } from './qemu-boot.js';
import { report, writeResults } from './report.js';

if (process.argv[2] === 'qemu') process.exit(await qemuBench(process.argv.slice(3)));
if (process.argv[2] === 'burst') process.exit(await burstMain(process.argv.slice(3)));

const { values: args } = parseArgs({
  options: {
    builds: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '20' },
    'volume-gb': { type: 'string', default: '1' },
    rounds: { type: 'string', default: '4' },
    'api-seconds': { type: 'string', default: '5' },
    'api-concurrency': { type: 'string', default: '16' },
    'placement-hosts': { type: 'string', default: '10000' },
    // Also time the floor without the records activities: what folding them into the steps would give.
    'what-if-no-records': { type: 'boolean', default: false },
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
const apiSeconds = int('api-seconds', 1);
const apiConcurrency = int('api-concurrency', 1);
const placementHosts = int('placement-hosts', 1);

const HOSTS = ['node-1', 'node-2', 'node-3'];
const WARMUP_BUILDS = HOSTS.length; // one per host: each node's image cache is filled before timing
const WARMUP_FLOORS = 2 * HOSTS.length;
const BREAKDOWN_SAMPLE = 30;
const started = performance.now();
const since = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const say = (line: string) => console.log(`[bench ${since()}] ${line}`);

// Every build is m1.tiny (1 vCPU, 512 MB, 1 GB); the hosts get room for all of them with margin,
// so the run measures the build path, not the scheduler saying no.
const perHost = Math.ceil(((builds + WARMUP_BUILDS + 100) * 1.5) / HOSTS.length); // + the burst
const stackEnv = {
  NIMBUS_HYPERVISOR_DELAY_MS: '0',
  NIMBUS_LOG_LEVEL: 'warn',
  NIMBUS_HOST_VCPUS: String(Math.max(8, Math.ceil(perHost / 4))),
  NIMBUS_HOST_RAM_MB: String(Math.max(16384, perHost * 512)),
  NIMBUS_HOST_DISK_GB: String(Math.max(160, perHost)),
};

say(`starting the embedded stack (fake hypervisor, 0 ms per operation)`);
const stack: TestStack = await startTestStack({ env: stackEnv, agents: HOSTS, echo: args.echo });
let temporal: Client | undefined;
const http = new BenchHttp(stack.apiUrl, stack.adminToken, Math.max(concurrency, apiConcurrency) + 4);
try {
  temporal = new Client({
    connection: await Connection.connect({ address: stack.temporalAddress }),
    namespace: stack.temporalNamespace,
  });
  const request: BuildRequestShape = {
    flavor: 'm1.tiny',
    image: 'cirros',
    network: await benchNetwork(builds + WARMUP_BUILDS),
    ...(volumeGb > 0 ? { volume: { sizeGb: volumeGb } } : {}),
  };
  say(`stack ready; warming up (${WARMUP_BUILDS} builds, one per host, and ${WARMUP_FLOORS} floor runs)`);
  const warm: string[] = [];
  for (let i = 0; i < WARMUP_BUILDS; i++) warm.push((await buildOnce(http, temporal, `warmup-${i}`, request)).id);
  const plan = await floorPlanFromBuild(temporal, warm[0]);
  await benchFloor(temporal, plan, { count: WARMUP_FLOORS, concurrency: HOSTS.length, hosts: HOSTS });
  say(
    `one build runs ${plan.queues.length} activities (${Object.entries(plan.perQueue)
      .map(([q, n]) => `${q} ${n}`)
      .join(', ')}) in ${plan.workflowTasks} workflow tasks`,
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
        `then ${count} floor runs of ${plan.queues.length} no-op activities, ${concurrency} at a time`,
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
  const ids = ours.runs.map((r) => r.workflowId.replace(/^instance-/, ''));
  const floor = mergePhases(floorRounds);
  let withoutRecords: PhaseResult | undefined;
  if (args['what-if-no-records']) {
    const lean = { ...plan, queues: plan.queues.filter((q) => q !== TaskQueues.workflows) };
    say(
      `what if: ${builds} floor runs of the ${lean.queues.length} activities that are not records, ` +
        `${concurrency} at a time`,
    );
    withoutRecords = await benchFloor(temporal, lean, { count: builds, concurrency, hosts: HOSTS });
  }

  const check = await verifyActive(ids);
  say(`reading ${BREAKDOWN_SAMPLE} histories of each to see where the time goes`);
  const breakdown = { ours: await breakdownOf(ours), floor: await breakdownOf(floor) };
  say(`GET /v1/instances/:id for ${apiSeconds} s, ${apiConcurrency} keep-alive clients`);
  const api = await benchApiRate(http, {
    path: `/v1/instances/${ids[0] ?? warm[0]}`,
    seconds: apiSeconds,
    concurrency: apiConcurrency,
  });

  say('burst: 100 concurrent POST /v1/instances from one project (bench/burst.ts)');
  const burst = await benchBurst(stack, { requests: 100, ownNetwork: true });
  say(formatBurst(burst));

  say(`placement among ${placementHosts} hosts`);
  // bench/placement.ts adds its hosts to this stack's database (named bench-*) and removes them after.
  const placement = await benchPlacement({ hosts: placementHosts, databaseUrl: stack.databaseUrl }).then(
    (result) => ({ status: 'ok' as const, result }),
    (err: Error) => ({ status: 'failed' as const, error: err.stack ?? String(err) }),
  );

  const cpuMsPerBuild = { ours: cpuPerBuild(cpu.ours, ours.succeeded), floor: cpuPerBuild(cpu.floor, floor.succeeded) };
  const ratio = {
    wallTime: round(ours.wallSeconds / floor.wallSeconds),
    // CPU time per build is the steadiest figure on a machine shared with other work.
    cpuPerBuild: round(cpuMsPerBuild.ours.total / cpuMsPerBuild.floor.total),
    mean: round(ours.latency.meanMs / floor.latency.meanMs),
    p50: round(ours.latency.p50Ms / floor.latency.p50Ms),
    p95: round(ours.latency.p95Ms / floor.latency.p95Ms),
    p99: round(ours.latency.p99Ms / floor.latency.p99Ms),
  };
  const results = {
    startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    command: `node dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtEnd: os.loadavg(),
    },
    options: {
      builds,
      concurrency,
      rounds,
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
      workflowTasksPerBuild: plan.workflowTasks,
    },
    ours: { ...ours, runs: undefined, activeInPostgres: check.active, serverSideLatency: check.serverSide },
    floor: { ...floor, runs: undefined },
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
    ...(withoutRecords
      ? {
          whatIfNoRecords: {
            activitiesPerBuild: plan.queues.filter((q) => q !== TaskQueues.workflows).length,
            floor: { ...withoutRecords, runs: undefined },
          },
        }
      : {}),
    api,
    burst,
    placement,
    totalSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  report(results);
  say(`figures written to ${writeResults(results)} and bench/results/latest.json`);
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

/** The seeded /24 holds ~250 addresses; a larger run gets a network of its own, just big enough. */
async function benchNetwork(needed: number): Promise<string> {
  if (needed <= 240) return 'default';
  const prefix = 32 - Math.ceil(Math.log2(needed + 8));
  const res = await http.request('POST', '/v1/networks', {
    name: 'bench',
    cidr: `10.64.0.0/${prefix}`,
    segmentation: { type: 'vlan', id: 640 },
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`could not create the bench network: ${res.status} ${JSON.stringify(res.body)}`);
  return 'bench';
}

/**
 * What a user would check: every timed build is ACTIVE in the API (a list holds up to 1,000),
 * and its server-side build time.
 */
async function verifyActive(ids: string[]) {
  const res = await http.request<Array<{ id: string; status: string; createdAt: string; launchedAt: string | null }>>(
    'GET',
    '/v1/instances?status=ACTIVE',
  );
  const wanted = new Set(ids);
  const rows = (Array.isArray(res.body) ? res.body : []).filter((r) => wanted.has(r.id) && r.launchedAt);
  const ms = rows.map((r) => Date.parse(r.launchedAt!) - Date.parse(r.createdAt)).sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.max(0, Math.ceil((p / 100) * ms.length) - 1))] ?? null;
  return {
    active: rows.length,
    serverSide: { what: 'launchedAt - createdAt in Postgres', p50Ms: at(50), p95Ms: at(95), p99Ms: at(99) },
  };
}

/** Means from runs spread evenly over the phase (every round is represented); the stall from its slowest run. */
async function breakdownOf(phase: PhaseResult): Promise<Breakdown> {
  const result = await historyBreakdown(
    temporal!,
    sample(
      phase.runs.map((r) => r.workflowId),
      BREAKDOWN_SAMPLE,
    ),
  );
  const slowest = phase.runs.reduce<TimedRun | undefined>((m, r) => (!m || r.ms > m.ms ? r : m), undefined);
  if (slowest) result.longestGap = (await historyBreakdown(temporal!, [slowest.workflowId])).longestGap;
  return result;
}

/** `n` items spread evenly over the list (so every round is represented). */
function sample<T>(list: T[], n: number): T[] {
  if (list.length <= n) return list;
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
