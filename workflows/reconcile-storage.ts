import { setCurrentDetails } from '@temporalio/workflow';
import { storage, storageNode } from './proxies.js';

/**
 * A storage node's reconciliation (Cinder-volume's start-up sync): the control plane lists
 * the volumes that live, the node removes the targets and files of every other one (a
 * build that crashed between its steps, a volume deleted while the node was down). The
 * storage node starts it when it comes up; it is safe to run at any time.
 */
export async function ReconcileStorage(): Promise<{ removed: string[] }> {
  const liveVolumeIds = await storage.listLiveVolumes();
  const result = await storageNode.reconcileVolumes({ liveVolumeIds });
  setCurrentDetails(`${liveVolumeIds.length} live volumes; removed ${result.removed.length} leftovers`);
  return result;
}
