/**
 * The storage node (Cinder-volume's role with the tgt backend): owns tgtd and the pools'
 * volume files, and serves the storage-node queue, where workflows make recorded exports
 * real and take them down. It never touches the database: the control plane's storage
 * activities keep the records, and the workflow hands the export from one to the other.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createNoopActivities } from '../../activities/noop.js';
import { createStorageNodeActivities } from '../../activities/storage-node.js';
import { TaskQueues } from '../../contracts/task-queues.js';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { TgtVolumeBackend } from '../../core/storage/backends/tgt/tgt-backend.js';
import { Tgtadm } from '../../core/storage/backends/tgt/tgtadm.js';
import { TgtdSupervisor } from '../../core/storage/backends/tgt/tgtd.js';
import { activityLogging } from '../common/activity-logging.js';
import { installTemporalRuntime } from '../common/temporal-runtime.js';

const config = loadConfig();
const log = createLogger('storage-node', config.logLevel);
installTemporalRuntime(log);

const tgtadm = new Tgtadm(config.tgtControlPort);
const backend = new TgtVolumeBackend(tgtadm, config.storagePoolDir, config.iscsiPortal);
const tgtd = new TgtdSupervisor({
  tgtadm,
  portal: config.iscsiPortal,
  netns: config.storageNetns,
  log,
  // tgtd keeps its targets in memory: a new (or restarted) one gets the pool's exports again.
  onReady: async () => log.info({ exports: await backend.reexportAll() }, 'pool exported'),
});
await tgtd.start();

const connection = await NativeConnection.connect({ address: config.temporalAddress });
const worker = await Worker.create({
  connection,
  namespace: config.temporalNamespace,
  taskQueue: TaskQueues.storageNode,
  interceptors: { activity: [activityLogging(log)] },
  activities: { ...createNoopActivities(), ...createStorageNodeActivities({ node: backend }) },
});
log.info(
  { portal: config.iscsiPortal, controlPort: config.tgtControlPort, netns: config.storageNetns ?? null },
  'storage node started',
);
try {
  // The Temporal runtime turns SIGINT/SIGTERM into a graceful shutdown of the worker.
  await worker.run();
} finally {
  await tgtd.stop();
  await connection.close();
  log.info('storage node stopped');
}
