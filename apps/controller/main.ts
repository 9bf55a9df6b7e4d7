/**
 * The controller: the workflow worker (with the records activities) and the control-plane
 * queues — scheduler, network, storage. Several may run at once; Temporal spreads the work.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createHostHeartbeatActivities, createHostSyncActivities } from '../../activities/host-sync.js';
import { createNetworkActivities } from '../../activities/network.js';
import { createNoopActivities } from '../../activities/noop.js';
import { carriedRecordsWriter, createRecordsActivities } from '../../activities/records.js';
import { createSchedulerActivities } from '../../activities/scheduler.js';
import { createStorageActivities } from '../../activities/storage.js';
import { createStorageNodeActivities } from '../../activities/storage-node.js';
import { TaskQueues } from '../../contracts/task-queues.js';
import { loadConfig } from '../../core/config.js';
import { createDataSource } from '../../core/db/data-source.js';
import { prepareDatabase } from '../../core/db/prepare.js';
import { InstanceRecords } from '../../core/instances/instance-records.js';
import { createLogger } from '../../core/logger.js';
import { PortAllocator } from '../../core/network/port-allocator.js';
import { ClaimService } from '../../core/scheduling/claims.js';
import { seededRandom } from '../../core/scheduling/seeded-random.js';
import { HostRegistry } from '../../core/scheduling/host-registry.js';
import { HostSelector } from '../../core/scheduling/host-selector.js';
import { HostSyncService } from '../../core/scheduling/host-sync.js';
import { FakeStorageNode } from '../../core/storage/backends/fake.js';
import { VolumeService } from '../../core/storage/volume-service.js';
import { exportLunOf } from '../../core/storage/iscsi-target.js';
import { activityLogging } from '../common/activity-logging.js';
import { installTemporalRuntime } from '../common/temporal-runtime.js';
import { workflowCode } from '../common/workflow-code.js';
import { startCleanupRepair } from './cleanup-repair.js';

const config = loadConfig();
const log = createLogger('controller', config.logLevel);
installTemporalRuntime(log);

await prepareDatabase(config.databaseUrl, { adminToken: config.adminToken, agentToken: config.agentToken });
const db = await createDataSource(config.databaseUrl, {
  poolSize: 20,
  applicationName: 'nimbus-controller',
}).initialize();
const connection = await NativeConnection.connect({ address: config.temporalAddress });
const namespace = config.temporalNamespace;
const claims = new ClaimService(db);
const ports = new PortAllocator(db);
const volumes = new VolumeService(db, config.iscsiPortal, undefined, exportLunOf(config.storageBackend));
const hosts = new HostRegistry(db, config.serviceDownTimeSec);
const records = createRecordsActivities({ records: new InstanceRecords(db), claims, ports, volumes });
// What the workflow held for a control-plane step, written by that step (CarriedRecords).
const writeCarried = carriedRecordsWriter(records);
// The benchmark's floor (bench/) runs no-op activities on these very queues and workers.
const noop = createNoopActivities();

// What every worker shares: one connection, and a log line per activity with its instance id.
const shared = { connection, namespace, interceptors: { activity: [activityLogging(log)] } };

const workers = await Promise.all([
  Worker.create({
    ...shared,
    taskQueue: TaskQueues.workflows,
    ...workflowCode(),
    // The records, what hosts did (they never write the database themselves: claims, ports,
    // volumes) and the agents' heartbeats (HostHeartbeats): local activities of the workflows.
    activities: {
      ...noop,
      ...records,
      ...createHostHeartbeatActivities({ hosts }),
    },
  }),
  Worker.create({
    ...shared,
    taskQueue: TaskQueues.scheduler,
    activities: {
      ...noop,
      ...createSchedulerActivities({
        selector: new HostSelector(db, config.serviceDownTimeSec, config.schedulerWeigher, {
          size: config.schedulerHostSubsetSize,
          random: config.schedulerSeed === undefined ? Math.random : seededRandom(config.schedulerSeed),
        }),
        claims,
        hosts,
      }),
      // The compute agents' registration and reconciliation answers (HostSync).
      ...createHostSyncActivities({ sync: new HostSyncService(db, hosts) }),
    },
  }),
  Worker.create({
    ...shared,
    taskQueue: TaskQueues.network,
    activities: { ...noop, ...createNetworkActivities({ ports, db, writeCarried }) },
  }),
  Worker.create({
    ...shared,
    taskQueue: TaskQueues.storage,
    activities: {
      ...noop,
      ...createStorageActivities({ volumes, writeCarried }),
    },
  }),
  // With the fake backend there are no targets to make: the controller answers the storage node's queue.
  ...(config.storageBackend === 'fake'
    ? [
        Worker.create({
          ...shared,
          taskQueue: TaskQueues.storageNode,
          activities: { ...noop, ...createStorageNodeActivities({ node: new FakeStorageNode() }) },
        }),
      ]
    : []),
]);

log.info(
  {
    queues: Object.values(TaskQueues).filter((q) => q !== TaskQueues.networkNode),
    temporal: config.temporalAddress,
    weigher: config.schedulerWeigher,
  },
  'controller started',
);
// Instances an undo could not finish (CleanupIncomplete) are torn down again, then DELETED.
const client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace });
const stopRepair = startCleanupRepair({
  db,
  client,
  log,
  intervalSec: config.cleanupRepairIntervalSec,
  hostTimeouts: {
    hostPickupTimeoutSec: config.hostPickupTimeoutSec,
    hostStepTimeoutSec: config.hostStepTimeoutSec,
    hostHeartbeatTimeoutSec: config.hostHeartbeatTimeoutSec,
  },
});
try {
  // The Temporal runtime turns SIGINT/SIGTERM into a graceful shutdown of every worker.
  await Promise.all(workers.map((w) => w.run()));
} finally {
  stopRepair();
  await client.connection.close();
  await connection.close();
  await db.destroy();
  log.info('controller stopped');
}
