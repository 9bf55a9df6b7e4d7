import type { IscsiConnection, IscsiTarget } from '../../../contracts/storage.js';

/**
 * A storage backend behind the volume service (Cinder's `VolumeDriver`): it makes a
 * volume's storage in its pool, exports it as an iSCSI target with CHAP, hands out the
 * connection a host logs in with, and takes it all down again. Every call is idempotent,
 * keyed by the volume id: the volume service retries them as its activities are retried.
 * The volume service records the export in Postgres (Cinder's provider_location and
 * provider_auth); the backend keeps no other state the control plane relies on.
 */

/** An export as the volume service records it: the target and its CHAP credentials. */
export interface VolumeExport extends IscsiTarget {
  chapUsername: string;
  chapSecret: string;
}

export interface BackendVolume {
  volumeId: string;
  sizeGb: number;
  /** The storage pool the volume service placed it in. */
  pool: string;
}

export interface VolumeBackend {
  /** Makes the volume's storage (a sparse file, a logical volume); an existing one is kept. */
  createVolume(volume: BackendVolume): Promise<void>;
  /** Exports the volume as an iSCSI target with CHAP (Cinder's create_export). */
  createExport(volume: BackendVolume): Promise<VolumeExport>;
  /** The connection one host logs in with, from the recorded export (initialize_connection). */
  initializeConnection(exported: VolumeExport, host: string | null): Promise<IscsiConnection>;
  /** The host let go of the volume: its access ends (terminate_connection); nothing to end is a no-op. */
  terminateConnection(volumeId: string, host: string | null): Promise<void>;
  /** Removes the export and the storage; a missing volume is a no-op. */
  deleteVolume(volume: BackendVolume): Promise<void>;
}

/**
 * The storage node's side of the same backend, as the workflow drives it through the
 * storage-node queue: the control plane recorded the export, the node makes it real.
 */
export interface StorageNode {
  /** File, target, LUN and CHAP account as recorded, and `initiatorIqn` let in; idempotent. */
  exportVolume(volume: BackendVolume, exported: VolumeExport, initiatorIqn: string): Promise<void>;
  /** The initiator is no longer let in; the target and the file stay. */
  unexportVolume(volumeId: string, initiatorIqn: string): Promise<void>;
  /** Target, account and file gone; without `pool`, found by the volume id. A missing volume is a no-op. */
  destroyVolume(volumeId: string, pool?: string): Promise<void>;
}
