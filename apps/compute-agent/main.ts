/**
 * A compute agent: one per hypervisor host. It registers its host, heartbeats, reconciles
 * its domains with what the control plane says (all three through Temporal: HostSync and
 * HostHeartbeats), and serves the host's own queue `compute.HOST`, deciding claims from its
 * own ledger. It reaches Temporal and the image service only, never the database (Nova's
 * rule: compute nodes never touch it; the control plane records what they did).
 *   npm run compute-agent -- --host node-4 [--vcpus 8 --ram-mb 16384 --disk-gb 160]
 *     [--netns NS --uplink DEV --underlay-ip ADDR --physical-interface DEV]   (qemu: where the host's network is)
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createComputeActivities } from '../../activities/compute.js';
import { createHostFaultActivities } from '../../activities/host-faults.js';
import { createNoopActivities } from '../../activities/noop.js';
import { createPowerActivities } from '../../activities/power.js';
import { computeQueue } from '../../contracts/task-queues.js';
import type { HostSyncResult } from '../../contracts/host-sync.js';
import { initiatorIqnOf } from '../../contracts/storage.js';
import { ConfigError, hostLedgerFile, loadConfig, nodeDir } from '../../core/config.js';
import { reconcileHost, reconcilePeriodically } from '../../core/compute/reconciler.js';
import { HostFaultStore } from '../../core/failure-injection/host-fault-store.js';
import { createHypervisorDriver } from '../../core/hypervisor/driver-factory.js';
import { defaultSpawnLimit, SpawnGate } from '../../core/hypervisor/spawn-gate.js';
import { builtGuestImage } from '../../core/hypervisor/guest-image/build-guest-image.js';
import { NodeImageCache } from '../../core/images/node-cache.js';
import { createLogger } from '../../core/logger.js';
import { createVifDriver } from '../../core/network/vif/vif-driver-factory.js';
import { HostLedger, UNRECORDED_CLAIM_GRACE_MS, type RecordedClaim } from '../../core/scheduling/host-ledger.js';
import { IscsiConnector } from '../../core/storage/connector.js';
import { activityLogging } from '../common/activity-logging.js';
import { installTemporalRuntime } from '../common/temporal-runtime.js';
import { atStart, ControlPlane } from './control-plane.js';

const config = loadConfig();
const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.NIMBUS_HOST },
    vcpus: { type: 'string', default: process.env.NIMBUS_HOST_VCPUS },
    'ram-mb': { type: 'string', default: process.env.NIMBUS_HOST_RAM_MB },
    'disk-gb': { type: 'string', default: process.env.NIMBUS_HOST_DISK_GB },
    netns: { type: 'string', default: process.env.NIMBUS_NETNS || undefined },
    uplink: { type: 'string', default: process.env.NIMBUS_UPLINK || undefined },
    'underlay-ip': { type: 'string', default: process.env.NIMBUS_UNDERLAY_IP || undefined },
    'physical-interface': { type: 'string', default: process.env.NIMBUS_PHYSICAL_INTERFACE || undefined },
  },
});
const host = args.host;
if (!host || !/^[a-z0-9][a-z0-9.-]{0,62}$/.test(host)) {
  throw new ConfigError('--host NAME (or NIMBUS_HOST) is required: lowercase letters, digits, dots, dashes');
}
/** A capacity flag: unset leaves the driver's figure, anything else must be a positive integer. */
const capacityFlag = (raw: string | undefined, name: string): number | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`--${name} must be a positive integer`);
  return value;
};
const overrides = {
  vcpus: capacityFlag(args.vcpus, 'vcpus'),
  ramMb: capacityFlag(args['ram-mb'], 'ram-mb'),
  diskGb: capacityFlag(args['disk-gb'], 'disk-gb'),
};
// The agents' service credential reads image files and nothing else: an agent holds no admin token.
if (!config.agentToken) throw new ConfigError('NIMBUS_AGENT_TOKEN is needed to download images from the image service');

const log = createLogger('compute-agent', config.logLevel, { host });
installTemporalRuntime(log);

const dir = nodeDir(config, host);
// Injected faults: the host keeps them in its node directory; the API sets them through Temporal.
const faults = HostFaultStore.inNodeDir(dir);
// NIMBUS_MAX_CONCURRENT_BUILDS, else a default by accelerator once the driver has probed it.
const spawnGate = new SpawnGate();
// Host-side wiring of ports: linuxbridge for real guests, in the host's namespace (the dev stack's machine).
const { vifs, reason: vifWiring } = await createVifDriver({
  hypervisor: config.hypervisor,
  netns: args.netns,
  uplink: args.uplink,
  underlayIp: args['underlay-ip'],
  physical: args['physical-interface'],
});
log.info({ netns: args.netns ?? null }, `VIF driver: ${vifWiring}`);
// The configured driver, locked per instance and obeying injected faults (driver-factory.ts).
const driver = createHypervisorDriver({
  type: config.hypervisor,
  nodeDir: dir,
  delayMs: config.hypervisorDelayMs,
  faults,
  spawnGate,
  // QEMU: the accelerator probe test-boots the guest image's kernel when this machine built it
  // (devstack/build-guest-image.ts; guests still boot only images pulled through the node cache),
  // eth0 is a user-mode management NIC (tests reach /nimbus/info through it, inside --netns); ports' NICs follow.
  // A spawn waits for the guest's ready marker, so an image that does not boot ends the build ERROR.
  // Volumes: attached through libiscsi with the host's own initiator name (the storage node's ACLs name it).
  qemu: {
    userNetwork: true,
    netns: args.netns,
    probeImage: await builtGuestImage(config.guestImageCache),
    guestBootTimeoutMs: config.guestBootTimeoutSec * 1000,
    initiatorName: initiatorIqnOf(host),
  },
});
await driver.initHost();
// The host's capacity is its driver's; the flags override any of it.
const resources = await driver.getHostResources();
const capacity = {
  vcpus: overrides.vcpus ?? resources.vcpus,
  ramMb: overrides.ramMb ?? resources.ramMb,
  diskGb: overrides.diskGb ?? resources.diskGb,
};
// What this host has promised: claims are decided here, from its node directory, not the database.
const ledger = new HostLedger(hostLedgerFile(config, host), host, capacity);
// Each answer of the control plane brings the ledger in line with the claims it recorded here.
const syncLedger = async (claims: RecordedClaim[]) => {
  const { added, dropped } = await ledger.reconcile(claims, UNRECORDED_CLAIM_GRACE_MS);
  if (added.length + dropped.length > 0)
    log.warn({ added, dropped }, 'claims ledger brought in line with the control plane');
};
const client = new Client({
  connection: await Connection.connect({ address: config.temporalAddress }),
  namespace: config.temporalNamespace,
});
const controlPlane = new ControlPlane(client, log);
// Host-side half of volume attachments: the volumes' iSCSI connections.
const connector = new IscsiConnector();
// Registration and the first reconciliation are one question (HostSync), asked before the queue
// is served. It waits while no controller runs: the agent then waits with it.
log.info({ ...capacity, hypervisor: resources.hypervisorType }, 'registering through the control plane (HostSync)');
let registration: HostSyncResult | undefined;
const report = await atStart(
  'registration',
  () =>
    reconcileHost(
      host,
      driver,
      async (domains) => {
        registration = await controlPlane.sync([{ host, capacity, hypervisorType: resources.hypervisorType, domains }]);
        await syncLedger(registration.hosts[0].claims);
        return registration.hosts[0];
      },
      log,
      { vifs },
    ),
  log,
);
spawnGate.setLimit(config.maxConcurrentBuilds ?? defaultSpawnLimit(resources.hypervisorType));
log.info(
  { hypervisor: resources.hypervisorType, ...capacity, maxConcurrentBuilds: spawnGate.limit },
  'registered host',
);
const stopHeartbeats = controlPlane.heartbeats(host, () => [host], config.heartbeatIntervalSec * 1000);
log.info(report, 'reconciled domains with the control plane');
const images = new NodeImageCache({ nodeDir: dir, baseUrl: config.apiUrl, token: config.agentToken });
// And again while running: leftovers of undos that could not reach this host (reconciler.ts).
// An orphan's image is unpinned with it, or the cache could never evict that image.
const stopReconciling = reconcilePeriodically(
  host,
  driver,
  async (domains) => {
    const state = await controlPlane.ask(host)(domains);
    await syncLedger(state.claims);
    return state;
  },
  log,
  config.reconcileIntervalSec * 1000,
  { onDestroyed: (instanceId) => images.releaseInstance(instanceId), vifs },
);
// In-use marks of instances that no longer live here (built elsewhere, deleted while we were
// down) would pin their images forever; a build still in flight anywhere keeps its mark.
const {
  building,
  hosts: [placed],
} = registration!;
const released = await images.releaseAllExcept(new Set([...building, ...placed.placedInstanceIds]));
if (released.length > 0) log.info({ instances: released }, 'released image marks of instances gone from this host');
// Images are evicted after each pull; this also trims what deletes have released since.
const evictImages = () =>
  images
    .evict(config.imageCacheMaxBytes)
    .then(
      ({ evicted, totalBytes }) =>
        evicted.length > 0 &&
        log.info({ evicted, totalBytes, maxBytes: config.imageCacheMaxBytes }, 'evicted unused images'),
    )
    .catch((err) => log.warn({ err }, 'image cache eviction failed'));
await evictImages();
const eviction = setInterval(() => void evictImages(), 60_000);

const connection = await NativeConnection.connect({ address: config.temporalAddress });
const worker = await Worker.create({
  connection,
  namespace: config.temporalNamespace,
  taskQueue: computeQueue(host),
  interceptors: { activity: [activityLogging(log)] },
  // Heartbeats are how a cancellation (DELETE during a build) reaches a running step: send them promptly.
  defaultHeartbeatThrottleInterval: '1 second',
  maxHeartbeatThrottleInterval: '1 second',
  activities: {
    // The benchmark's floor (bench/) runs no-op activities on this queue and worker.
    ...createNoopActivities(),
    ...createPowerActivities({ driver }),
    ...createHostFaultActivities({ faults }),
    ...createComputeActivities({
      host,
      ledger,
      driver,
      vifs,
      connector,
      images,
      imageCacheMaxBytes: config.imageCacheMaxBytes,
      faults,
    }),
  },
});
log.info({ queue: computeQueue(host), nodeDir: dir }, 'compute agent started');
try {
  await worker.run();
} finally {
  stopHeartbeats();
  stopReconciling();
  clearInterval(eviction);
  await connection.close();
  await client.connection.close();
  log.info('compute agent stopped');
}
