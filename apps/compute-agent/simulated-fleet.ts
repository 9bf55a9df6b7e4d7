/**
 * Many simulated compute hosts in one process, for scale runs (bench/scale.ts): each host is
 * what apps/compute-agent/main.ts makes of one — its own queue `compute.HOST`, the fake
 * hypervisor, its own node directory and image cache, a host registered with its capacity and
 * heartbeating through the control plane — but the hosts share what a real fleet would not
 * need N times over: one Temporal connection, one HostSync per batch of registrations, one
 * heartbeat signal per interval for all of them. Each host's worker keeps few pollers, since
 * every poller is a long poll held open on the Temporal server.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createComputeActivities } from '../../activities/compute.js';
import { createHostFaultActivities } from '../../activities/host-faults.js';
import { createNoopActivities } from '../../activities/noop.js';
import { createPowerActivities } from '../../activities/power.js';
import type { HostCapacityReport } from '../../contracts/host-sync.js';
import { computeQueue } from '../../contracts/task-queues.js';
import { hostLedgerFile, nodeDir, type NimbusConfig } from '../../core/config.js';
import { HostFaultStore } from '../../core/failure-injection/host-fault-store.js';
import { createHypervisorDriver } from '../../core/hypervisor/driver-factory.js';
import { defaultSpawnLimit, SpawnGate } from '../../core/hypervisor/spawn-gate.js';
import { NodeImageCache } from '../../core/images/node-cache.js';
import type { Logger } from '../../core/logger.js';
import { FakeVifDriver } from '../../core/network/vif/fake-vif-driver.js';
import { HostLedger } from '../../core/scheduling/host-ledger.js';
import { IscsiConnector } from '../../core/storage/connector.js';
import { activityLogging } from '../common/activity-logging.js';
import { ControlPlane } from './control-plane.js';

export type SimulatedHost = { name: string } & HostCapacityReport;

export interface SimulatedFleetOptions {
  hosts: SimulatedHost[];
  config: NimbusConfig;
  log: Logger;
  /** Activity pollers per host worker (each a long poll open on the server); default 1. */
  pollers?: number;
  /** Activities one host runs at once; default 20 (a fake step takes no time). */
  maxConcurrentActivities?: number;
  /** Workers created at once while starting; default 16. */
  startConcurrency?: number;
  /** Hosts per HostSync at registration (a bounded payload and activity); default 200. */
  registrationBatch?: number;
}

export interface SimulatedFleet {
  /** Settles once every host's worker has stopped (after shutdown(), or SIGTERM via the Temporal runtime). */
  run(): Promise<void>;
  shutdown(): void;
  /** Milliseconds from the call until every worker polled and every host was registered. */
  startMs: number;
}

/**
 * Creates every host's worker, starts them, and only then registers the hosts: a host the
 * scheduler can see already has a worker polling its queue. Registration waits while no
 * controller runs, as an agent's does.
 */
export async function startSimulatedFleet(opts: SimulatedFleetOptions): Promise<SimulatedFleet> {
  const { config, log, hosts } = opts;
  const started = Date.now();
  if (!config.agentToken) throw new Error('NIMBUS_AGENT_TOKEN is needed to download images from the image service');
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const client = new Client({
    connection: await Connection.connect({ address: config.temporalAddress }),
    namespace: config.temporalNamespace,
  });
  const controlPlane = new ControlPlane(client, log);
  const shared: Shared = {
    connection,
    vifs: new FakeVifDriver(),
    connector: new IscsiConnector(),
    noop: createNoopActivities(),
  };
  const down = new Set<string>();
  const workers: Worker[] = [];
  const runs: Array<Promise<void>> = [];
  try {
    await inBatches(hosts, opts.startConcurrency ?? 16, async (host) => {
      // An injected 'crash' stops this host (its worker and its heartbeats), not the whole fleet.
      const worker: Worker = await createHostWorker(host, config, log, opts, shared, () => {
        down.add(host.name);
        worker.shutdown();
      });
      workers.push(worker);
      runs.push(worker.run());
    });
    await waitUntilRunning(workers);
    const batch = opts.registrationBatch ?? 200;
    const batches = Array.from({ length: Math.ceil(hosts.length / batch) }, (_, i) =>
      hosts.slice(i * batch, (i + 1) * batch),
    );
    await inBatches(batches, 2, (some) =>
      controlPlane.sync(
        some.map(({ name, vcpus, ramMb, diskGb }) => ({
          host: name,
          capacity: { vcpus, ramMb, diskGb },
          hypervisorType: 'fake',
          domains: [],
        })),
      ),
    );
  } catch (err) {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(runs);
    await connection.close();
    await client.connection.close();
    throw err;
  }
  const names = hosts.map((h) => h.name);
  // The fleet is one agent to the control plane: one HostHeartbeats, named after its first host.
  const stopHeartbeats = controlPlane.heartbeats(
    names[0],
    () => names.filter((n) => !down.has(n)),
    config.heartbeatIntervalSec * 1000,
  );
  const startMs = Date.now() - started;
  log.info({ hosts: hosts.length, pollersPerHost: opts.pollers ?? 1, startMs }, 'simulated hosts started');

  const all = Promise.allSettled(runs).then(async (outcomes) => {
    stopHeartbeats();
    await connection.close();
    await client.connection.close();
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    log.info({ hosts: hosts.length }, 'simulated hosts stopped');
  });
  return {
    run: () => all,
    shutdown: () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
    startMs,
  };
}

type Shared = {
  connection: NativeConnection;
  vifs: FakeVifDriver;
  connector: IscsiConnector;
  noop: ReturnType<typeof createNoopActivities>;
};

async function createHostWorker(
  host: SimulatedHost,
  config: NimbusConfig,
  log: Logger,
  opts: SimulatedFleetOptions,
  shared: Shared,
  crash: () => void,
): Promise<Worker> {
  const dir = nodeDir(config, host.name);
  const faults = HostFaultStore.inNodeDir(dir, crash);
  const driver = createHypervisorDriver({
    type: 'fake',
    nodeDir: dir,
    delayMs: config.hypervisorDelayMs,
    faults,
    spawnGate: new SpawnGate(config.maxConcurrentBuilds ?? defaultSpawnLimit('fake')),
    fakeResources: { vcpus: host.vcpus, ramMb: host.ramMb, diskGb: host.diskGb },
  });
  await driver.initHost();
  const images = new NodeImageCache({ nodeDir: dir, baseUrl: config.apiUrl, token: config.agentToken! });
  return Worker.create({
    connection: shared.connection,
    namespace: config.temporalNamespace,
    taskQueue: computeQueue(host.name),
    interceptors: { activity: [activityLogging(log.child({ host: host.name }))] },
    defaultHeartbeatThrottleInterval: '1 second',
    maxHeartbeatThrottleInterval: '1 second',
    // Not maxConcurrentActivityTaskPolls: SDK 1.24 ignores it (worker-options.js) and polls 10 at a time,
    // which with 1000 hosts is 10,000 long polls against the server's 1,200 per namespace.
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: opts.pollers ?? 1 },
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? 20,
    activities: {
      ...shared.noop,
      ...createPowerActivities({ driver }),
      ...createHostFaultActivities({ faults }),
      ...createComputeActivities({
        host: host.name,
        ledger: new HostLedger(hostLedgerFile(config, host.name), host.name, host),
        driver,
        vifs: shared.vifs,
        connector: shared.connector,
        images,
        imageCacheMaxBytes: config.imageCacheMaxBytes,
        faults,
      }),
    },
  });
}

/** Runs `task` over `items`, at most `concurrency` at once. */
async function inBatches<T>(items: T[], concurrency: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/** `run()` starts polling in the background; a worker is RUNNING once its pollers are up. */
async function waitUntilRunning(workers: Worker[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const states = workers.map((w) => w.getState());
    const failed = states.find((s) => s === 'FAILED' || s === 'STOPPED');
    if (failed) throw new Error(`a simulated host's worker is ${failed} while starting`);
    if (states.every((s) => s === 'RUNNING')) return;
    if (Date.now() > deadline) throw new Error("the simulated hosts' workers did not all start within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
