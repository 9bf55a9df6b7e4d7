import type { StorageActivities, VolumeInfo } from '../contracts/activities.js';
import type { VolumeService } from '../core/storage/volume-service.js';
import { classified } from './failures.js';
import type { CarriedRecordsWriter } from './records.js';

export function createStorageActivities(deps: {
  volumes: VolumeService;
  writeCarried: CarriedRecordsWriter;
}): StorageActivities {
  return {
    async createVolume({ volumeId, instanceId, projectId, sizeGb, records }): Promise<VolumeInfo> {
      return classified(async () => {
        await deps.writeCarried(records);
        // A volume made by a build belongs to its instance: deleted on termination.
        const volume = await deps.volumes.create({
          volumeId,
          projectId,
          sizeGb,
          deleteOnTermination: true,
          instanceId,
        });
        return {
          volumeId: volume.id,
          sizeGb: volume.sizeGb,
          pool: volume.pool,
          connection: await deps.volumes.initializeConnection(volume),
        };
      });
    },
    async deleteVolume({ volumeId, instanceId }): Promise<void> {
      await classified(() => deps.volumes.delete(volumeId, instanceId));
    },
    async reserveVolume({ volumeId, instanceId, projectId, host, records }): Promise<VolumeInfo> {
      return classified(async () => {
        await deps.writeCarried(records);
        // A standalone volume stays the user's: reserved for this build, never deleted by it.
        const volume = await deps.volumes.reserve({ volumeId, instanceId, projectId, host });
        return {
          volumeId: volume.id,
          sizeGb: volume.sizeGb,
          pool: volume.pool,
          connection: await deps.volumes.initializeConnection(volume, host),
        };
      });
    },
    async unreserveVolume({ volumeId, instanceId }): Promise<void> {
      await classified(() => deps.volumes.unreserve({ volumeId, instanceId }));
    },
    async listInstanceVolumes({ instanceId }) {
      return classified(() => deps.volumes.attachmentsOf(instanceId));
    },
    async listLiveVolumes(): Promise<string[]> {
      return classified(() => deps.volumes.liveVolumeIds());
    },
    async markVolumeDetached({ volumeId, instanceId }): Promise<void> {
      await classified(() => deps.volumes.markDetached(volumeId, instanceId));
    },
  };
}
