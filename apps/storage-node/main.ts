/**
 * The storage node (Cinder-volume's role with the tgt backend): owns tgtd and the pools'
 * volume files, and serves the storage-node queue, where workflows make recorded exports
 * real and take them down. It never touches the database: the control plane's storage
 * activities keep the records, and the workflow hands the export from one to the other.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createNoopActivities } from '../../activities/noop.js';
import { createStorageNodeActivities } from '../../activities/storage-node.js';
import { RECONCILE_STORAGE_WORKFLOW_ID, TaskQueues } from '../../contracts/task-queues.js';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { TgtVolumeBackend } from '../../core/storage/backends/tgt/tgt-backend.js';
import { Tgtadm } from '../../core/storage/backends/tgt/tgtadm.js';
import { TGTD_ABOUT_FILE, TgtdSupervisor } from '../../core/storage/backends/tgt/tgtd.js';
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
await mkdir(config.storagePoolDir, { recursive: true });
const about = { controlPort: config.tgtControlPort, portal: config.iscsiPortal };
await writeFile(path.join(config.storagePoolDir, TGTD_ABOUT_FILE), JSON.stringify(about));

const connection = await NativeConnection.connect({ address: config.temporalAddress });
const worker = await Worker.create({
  connection,
  namespace: config.temporalNamespace,
  taskQueue: TaskQueues.storageNode,
  interceptors: { activity: [activityLogging(log)] },
  activities: { ...createNoopActivities(), ...createStorageNodeActivities({ node: backend }) },
});
// What the control plane no longer knows goes (a build that crashed between steps, a volume
// deleted while this node was down): the ReconcileStorage workflow, once the worker serves.
const client = new Client({
  connection: await Connection.connect({ address: config.temporalAddress }),
  namespace: config.temporalNamespace,
});
void client.workflow
  .execute('ReconcileStorage', { taskQueue: TaskQueues.workflows, workflowId: RECONCILE_STORAGE_WORKFLOW_ID, args: [] })
  .then((r: { removed: string[] }) => log.info({ removed: r.removed }, 'storage reconciled'))
  .catch((err: unknown) => log.warn({ err }, 'storage reconciliation did not run'));
log.info(
  { portal: config.iscsiPortal, controlPort: config.tgtControlPort, netns: config.storageNetns ?? null },
  'storage node started',
);
try {
  // The Temporal runtime turns SIGINT/SIGTERM into a graceful shutdown of the worker.
  await worker.run();
} finally {
  await client.connection.close();
  await tgtd.stop();
  await connection.close();
  log.info('storage node stopped');
}
