import { proxyActivities } from '@temporalio/workflow';
import type {
  NetworkActivities,
  RecordsActivities,
  SchedulerActivities,
  StorageActivities,
  StorageNodeActivities,
} from '../contracts/activities.js';
import { TaskQueues } from '../contracts/task-queues.js';
import { controlPlane, records, undo } from './activity-options.js';

/*
 * The control-plane activities the workflows call, each made once: a step's proxy (retried
 * patiently) and an undo's (`…Undo`, retried until done), and the records. Host steps are
 * proxied per host where they run (host-steps.ts, and each host's undos).
 */
/**
 * The patch that brought the storage node (NIMBUS_STORAGE_BACKEND=tgt): builds and deletes
 * started before it replay without its steps; new ones export on the node and take down there.
 */
export const STORAGE_NODE_PATCH = 'storage-node-export';

export const scheduler = proxyActivities<SchedulerActivities>(controlPlane(TaskQueues.scheduler));
export const schedulerUndo = proxyActivities<SchedulerActivities>(undo(TaskQueues.scheduler));
export const network = proxyActivities<NetworkActivities>(controlPlane(TaskQueues.network));
export const networkUndo = proxyActivities<NetworkActivities>(undo(TaskQueues.network));
export const storage = proxyActivities<StorageActivities>(controlPlane(TaskQueues.storage));
export const storageUndo = proxyActivities<StorageActivities>(undo(TaskQueues.storage));
export const storageNode = proxyActivities<StorageNodeActivities>(controlPlane(TaskQueues.storageNode));
export const storageNodeUndo = proxyActivities<StorageNodeActivities>(undo(TaskQueues.storageNode));
export const record = proxyActivities<RecordsActivities>(records());
