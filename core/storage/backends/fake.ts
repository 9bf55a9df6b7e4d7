import type { IscsiConnection } from '../../../contracts/storage.js';
import { ValidationError } from '../../errors.js';
import { iscsiExportFor } from '../iscsi-target.js';
import type { BackendVolume, StorageNode, VolumeBackend, VolumeExport } from './backend.js';

/**
 * A backend with no storage behind it: it exports every volume the way the tgt backend
 * will (one target per volume on the configured portal, LUN 0, fresh CHAP credentials)
 * and hands out connections from what the volume service recorded. It keeps no state, so
 * the API, the controller and the agents, each with their own instance, agree on everything.
 */
export class FakeVolumeBackend implements VolumeBackend {
  /** `lun` 1 when the storage node runs tgt (whose LUN 0 is the controller): the export it will make real. */
  constructor(
    private readonly portal: string,
    private readonly lun = 0,
  ) {}

  createVolume(volume: BackendVolume): Promise<void> {
    if (!Number.isInteger(volume.sizeGb) || volume.sizeGb < 1) {
      return Promise.reject(new ValidationError('sizeGb', `a volume is a whole number of GB (got ${volume.sizeGb})`));
    }
    return Promise.resolve();
  }

  createExport(volume: BackendVolume): Promise<VolumeExport> {
    return Promise.resolve(iscsiExportFor(volume.volumeId, this.portal, this.lun));
  }

  initializeConnection(exported: VolumeExport, _host: string | null): Promise<IscsiConnection> {
    const { targetIqn, targetPortal, targetLun, chapUsername, chapSecret } = exported;
    return Promise.resolve({
      targetIqn,
      targetPortal,
      targetLun,
      authMethod: 'CHAP',
      authUsername: chapUsername,
      authPassword: chapSecret,
    });
  }

  terminateConnection(_volumeId: string, _host: string | null): Promise<void> {
    return Promise.resolve();
  }

  deleteVolume(_volume: BackendVolume): Promise<void> {
    return Promise.resolve();
  }
}

/** The fake backend's storage node: its targets do not exist, so there is nothing to make or remove. */
export class FakeStorageNode implements StorageNode {
  exportVolume(): Promise<void> {
    return Promise.resolve();
  }

  unexportVolume(): Promise<void> {
    return Promise.resolve();
  }

  destroyVolume(): Promise<void> {
    return Promise.resolve();
  }
}
