import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { REPO_ROOT } from '../core/config.js';
import { createDataSource } from '../core/db/data-source.js';
import { startTestStack, type TestStack } from '../test/support/stack.js';
import { benchBuilds, buildOnce, type BuildRequestShape } from './build-latency.js';
import { cpuDelta, cpuPerBuild, cpuSnapshot } from './cpu.js';
import { BenchHttp } from './http.js';
import { capacityCheck, outcomes, timeSelect, type CapacityCheck, type Outcomes } from './scale-checks.js';
import { FLEET, rssMb, startFleet } from './scale-fleet.js';
import { readHistories, spreadSample, type HistorySample } from './scale-histories.js';
import { selectTimes } from './scale-select-times.js';
import type { LatencySummary } from './stats.js';

/** One fleet size of `npm run bench -- scale`: its own stack, fleet, builds and checks. */

export interface SizeOptions {
  hosts: number;
  builds: number;
  concurrency: number;
  pollersPerHost: number;
  /** Histories read for placement and queue waits. */
  sample: number;
  /** The scheduler's host_subset_size (the production default is 3). */
  subsetSize: number;
  echo: boolean;
}

export interface SizeResult {
  hosts: number;
  builds: number;
  /** m1.tiny the fleet holds: the timed builds plus the warm-up ones, so the run fills it. */
  slots: number;
  warmupBuilds: number;
  pollersPerHost: number;
  fleet: { readyMs: number; rssMbReady: number | null; rssMbEnd: number | null };
  /** CPU seconds per second while the fleet only polls, before any build. */
  idleCpuPerSecond: Record<string, number>;
  wallSeconds: number;
  /** ACTIVE builds per second of the timed phase. */
  buildsPerSecond: number;
  latency: LatencySummary;
  /** CPU ms per timed build by process (`total` the sum); temporal is the dev server. */
  cpuMsPerBuild: Record<string, number>;
  temporalCpuSecondsPerBuild: number;
  outcomes: Outcomes;
  capacity: CapacityCheck;
  /** More builds than the free slots left: the surplus must end NoValidHost, never over-commit. */
  overflow: { sent: number; freeSlotsBefore: number; outcomes: Outcomes; capacity: CapacityCheck };
  /**
   * scheduler: HostSelector.select as the controller ran it during the timed builds (its own
   * timing, bench/scale-apps/controller); saga: selectHost from the histories (activity started →
   * completed, with the trip through Temporal to the controller's worker); alone: the same
   * query from this process on the idle fleet, before the builds.
   */
  placement: { scheduler: LatencySummary; saga: LatencySummary; alone: LatencySummary };
  histories: HistorySample;
  errors: string[];
}

const TINY = { vcpus: 1, ramMb: 512, diskGb: 1 };
const HOST_PREFIX = 'sim-';
const IDLE_WINDOW_SECONDS = 2.5;
const IDLE_MAX_WINDOWS = 12;

export async function runSize(opts: SizeOptions, say: (line: string) => void): Promise<SizeResult> {
  const warmupBuilds = Math.min(4, opts.hosts);
  const slots = opts.builds + warmupBuilds;
  say(`${opts.hosts} hosts: starting the stack (no regular agents)`);
  const stack = await startTestStack({
    agents: [],
    echo: opts.echo,
    // The real apps; the controller's entry point also records how long each host choice takes.
    appsDir: path.join(REPO_ROOT, 'dist', 'bench', 'scale-apps'),
    env: {
      NIMBUS_HYPERVISOR_DELAY_MS: '0',
      NIMBUS_LOG_LEVEL: 'warn',
      // Production liveness (the test stack shortens it for crash tests), and the production subset size.
      NIMBUS_HEARTBEAT_INTERVAL: '5',
      NIMBUS_SERVICE_DOWN_TIME: '30',
      NIMBUS_SCHEDULER_HOST_SUBSET_SIZE: String(opts.subsetSize),
    },
  });
  let db: DataSource | undefined;
  let temporal: Client | undefined;
  const http = new BenchHttp(stack.apiUrl, stack.adminToken, opts.concurrency + 4);
  try {
    db = await createDataSource(stack.databaseUrl, { poolSize: 4, applicationName: 'nimbus-bench-scale' }).initialize();
    temporal = new Client({
      connection: await Connection.connect({ address: stack.temporalAddress }),
      namespace: stack.temporalNamespace,
    });
    const request: BuildRequestShape = {
      flavor: 'm1.tiny',
      image: await tinyImage(stack),
      network: await network(http, slots + 100),
    };
    say(
      `${opts.hosts} hosts: starting the simulated fleet (${slots} m1.tiny slots, ${opts.pollersPerHost} poller each)`,
    );
    const plan = { hosts: opts.hosts, slots, prefix: HOST_PREFIX, pollersPerHost: opts.pollersPerHost };
    const fleet = await startFleet(stack, db, plan);
    say(`${opts.hosts} hosts: up after ${(fleet.readyMs / 1000).toFixed(1)} s, fleet RSS ${fleet.rssMb} MB`);
    const alone = await timeSelect(db, stack.config.serviceDownTimeSec, opts.subsetSize, TINY, 200);

    const nameOf = (pid: number) => stack.supervisor.names().find((n) => stack.supervisor.pid(n) === pid);
    const idle = await settledIdle(nameOf);

    for (let i = 0; i < warmupBuilds; i++) await buildOnce(http, temporal, `scale-warmup-${i}`, request);
    say(`${opts.hosts} hosts: ${opts.builds} builds through POST /v1/instances, ${opts.concurrency} at a time`);
    const cpu0 = cpuSnapshot(nameOf);
    const phaseStart = Date.now();
    const phase = await benchBuilds(http, temporal, {
      count: opts.builds,
      concurrency: opts.concurrency,
      request,
      prefix: 'scale-run',
    });
    const cpu = cpuDelta(cpu0, cpuSnapshot(nameOf));
    const phaseEnd = Date.now();
    const rssMbEnd = rssMb(stack.supervisor.pid(FLEET));
    const perBuild = cpuPerBuild(cpu, phase.count);

    const run = await outcomes(db, 'scale-run');
    const capacity = await capacityCheck(db, HOST_PREFIX, TINY);
    const sent = capacity.freeSlots + 10;
    say(
      `${opts.hosts} hosts: ${run.byStatus.ACTIVE ?? 0} ACTIVE, ${run.byStatus.ERROR ?? 0} ERROR; ` +
        `${capacity.freeSlots} slots free; ${sent} more builds to overflow the fleet`,
    );
    await benchBuilds(http, temporal, { count: sent, concurrency: Math.min(10, sent), request, prefix: 'scale-over' });
    const overflow = {
      sent,
      freeSlotsBefore: capacity.freeSlots,
      outcomes: await outcomes(db, 'scale-over'),
      capacity: await capacityCheck(db, HOST_PREFIX, TINY),
    };
    const scheduler = await selectTimes(stack.dataDir, phaseStart, phaseEnd);
    say(`${opts.hosts} hosts: reading ${Math.min(opts.sample, phase.runs.length)} histories`);
    const histories = await readHistories(
      temporal,
      spreadSample(
        phase.runs.map((r) => r.workflowId),
        opts.sample,
      ),
    );
    return {
      hosts: opts.hosts,
      builds: opts.builds,
      slots,
      warmupBuilds,
      pollersPerHost: opts.pollersPerHost,
      fleet: { readyMs: fleet.readyMs, rssMbReady: fleet.rssMb, rssMbEnd },
      idleCpuPerSecond: idle,
      wallSeconds: phase.wallSeconds,
      buildsPerSecond: round2((run.byStatus.ACTIVE ?? 0) / phase.wallSeconds),
      latency: phase.latency,
      cpuMsPerBuild: perBuild,
      temporalCpuSecondsPerBuild: round3((cpu.temporal ?? 0) / phase.count),
      outcomes: run,
      capacity,
      overflow,
      placement: { scheduler, saga: histories.selectHost, alone },
      histories,
      errors: phase.errors,
    };
  } catch (err) {
    console.error(`Last stack output:\n${stack.logs(40).join('\n')}`);
    throw err;
  } finally {
    http.close();
    await temporal?.connection.close();
    await db?.destroy();
    await stack.stop();
  }
}

/** A 64 KiB image: every host's first build pulls it, so a thousand hosts pull 64 MiB, not 4 GiB of cirros. */
async function tinyImage(stack: TestStack): Promise<string> {
  const created = await stack.api('POST', '/v1/images', { name: 'scale-tiny' });
  if (created.status !== 201) throw new Error(`POST /v1/images: ${created.status} ${JSON.stringify(created.body)}`);
  const put = await stack.api('PUT', `/v1/images/${created.body.id}/file`, randomBytes(64 * 1024), {
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (put.status >= 300) throw new Error(`PUT /v1/images/ID/file: ${put.status} ${JSON.stringify(put.body)}`);
  return created.body.id;
}

/** A network with an address for every build. */
async function network(http: BenchHttp, needed: number): Promise<string> {
  const prefix = Math.min(24, 32 - Math.ceil(Math.log2(needed + 8)));
  const res = await http.request('POST', '/v1/networks', {
    name: 'scale',
    cidr: `10.64.0.0/${prefix}`,
    segmentation: { type: 'vlan', id: 640 },
  });
  if (res.status !== 201) throw new Error(`POST /v1/networks: ${res.status} ${JSON.stringify(res.body)}`);
  return 'scale';
}

/**
 * CPU per second of each process while the fleet only polls. A new fleet's first seconds go to
 * the server loading its task queues (at 1000 hosts, most of a core for 10 s or more), so windows
 * are taken until the server's rate stops falling, and the last one is reported.
 */
async function settledIdle(nameOf: (pid: number) => string | undefined): Promise<Record<string, number>> {
  let last: Record<string, number> = {};
  for (let i = 0; i < IDLE_MAX_WINDOWS; i++) {
    const before = cpuSnapshot(nameOf);
    await sleep(IDLE_WINDOW_SECONDS * 1000);
    const rate = perSecond(cpuDelta(before, cpuSnapshot(nameOf)), IDLE_WINDOW_SECONDS);
    const now = rate.temporal ?? 0;
    const settled = now < 0.02 || (i > 0 && now >= 0.8 * (last.temporal ?? 0));
    last = rate;
    if (settled) break;
  }
  return last;
}

function perSecond(cpu: Record<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpu).map(([g, s]) => [g, round3(s / seconds)]));
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
