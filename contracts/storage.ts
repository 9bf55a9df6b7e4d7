/**
 * The storage shapes that cross process boundaries: the volume service (control plane)
 * returns them from createVolume / reserveVolume, the workflow passes them through, and
 * the compute agent's connector turns the connection into what the hypervisor attaches.
 */

/** Where an iSCSI volume is exported: what the host logs in to (Cinder's `target_*`). */
export interface IscsiTarget {
  targetIqn: string;
  /** host:port of the iSCSI portal. */
  targetPortal: string;
  targetLun: number;
}

/**
 * Cinder's iSCSI `connection_info.data`: the target and, when the export asks for it,
 * the CHAP credentials. Connections recorded before CHAP was handed out have none.
 */
export interface IscsiConnection extends IscsiTarget {
  authMethod?: 'CHAP';
  authUsername?: string;
  authPassword?: string;
}

/** A volume as createVolume / reserveVolume return it and attachVolume receives it. */
export interface VolumeInfo {
  volumeId: string;
  sizeGb: number;
  connection: IscsiConnection;
  /** The storage pool holding it (the storage node's folder); absent in histories recorded before it. */
  pool?: string;
}

/** A volume as the storage node stores it: its file lives in `pool`. */
export interface StoredVolume {
  volumeId: string;
  sizeGb: number;
  pool: string;
}

/**
 * The iSCSI initiator name a compute host logs in with (its QEMU's `initiator-name`), and
 * what the storage backend puts in a target's ACL when it initializes a connection for it.
 */
export function initiatorIqnOf(host: string): string {
  return `iqn.2010-10.org.nimbus:host-${host.toLowerCase().replace(/[^a-z0-9.-]/g, '-')}`;
}
