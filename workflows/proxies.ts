import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type {
  DhcpActivities,
  NetworkActivities,
  RecordsActivities,
  SchedulerActivities,
  StorageActivities,
  StorageNodeActivities,
} from '../contracts/activities.js';
import type { HostHeartbeatActivities, HostSyncActivities } from '../contracts/host-sync.js';
import { TaskQueues } from '../contracts/task-queues.js';
import { controlPlane, heartbeatRecords, localRecords, records, undo } from './activity-options.js';
import { LOCAL_RECORDS_PATCH } from './patches.js';

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
/** The records as regular activities on the workflow queue: executions started before LOCAL_RECORDS_PATCH. */
const recordRemote = proxyActivities<RecordsActivities>(records());
const recordLocal = proxyLocalActivities<RecordsActivities>(localRecords());

/**
 * The records proxy of one execution: local activities from LOCAL_RECORDS_PATCH on. Call it
 * once, at the start of the workflow body (patched() belongs there, not in a handler).
 */
export function recordsOf(local = usesLocalRecords()): RecordsActivities {
  return local ? recordLocal : recordRemote;
}

/** Whether this execution writes its records as local activities (LOCAL_RECORDS_PATCH). */
export function usesLocalRecords(): boolean {
  return patched(LOCAL_RECORDS_PATCH);
}
/** The network node's DHCP step, retried like the control plane's (its undo: dhcp-steps.ts). */
export const networkNode = proxyActivities<DhcpActivities>(controlPlane(TaskQueues.networkNode));
/** The compute agents' report and its answer (HostSync), next to the scheduler's host registry. */
export const hostSync = proxyActivities<HostSyncActivities>(controlPlane(TaskQueues.scheduler));
/** The agents' heartbeats, written by the workflow worker itself (HostHeartbeats). */
export const hostHeartbeats = proxyLocalActivities<HostHeartbeatActivities>(heartbeatRecords());
