import type { StorageNodeActivities } from '../contracts/activities.js';
import { initiatorIqnOf } from '../contracts/storage.js';
import type { StorageNode } from '../core/storage/backends/backend.js';
import { classified } from './failures.js';

/** The storage node's queue: the recorded export made real (or undone) by its backend. */
export function createStorageNodeActivities(deps: { node: StorageNode }): StorageNodeActivities {
  return {
    async exportVolume({ volume, connection, host }): Promise<void> {
      const { targetIqn, targetPortal, targetLun, authUsername, authPassword } = connection;
      const exported = { targetIqn, targetPortal, targetLun, chapUsername: authUsername!, chapSecret: authPassword! };
      await classified(() => deps.node.exportVolume(volume, exported, initiatorIqnOf(host)));
    },
    async unexportVolume({ volumeId, host }): Promise<void> {
      await classified(() => deps.node.unexportVolume(volumeId, initiatorIqnOf(host)));
    },
    async destroyVolume({ volumeId, pool }): Promise<void> {
      await classified(() => deps.node.destroyVolume(volumeId, pool));
    },
  };
}
