import type { VolumeRecord } from '../../../core/storage/volume-listing.js';

/**
 * A volume as the API shows it. The iSCSI target (IQN, portal, LUN) is what an owner needs
 * to see where it lives; the CHAP credentials that open it, and the pool it sits in, are
 * the operator's: only admin views carry them.
 */
export function volumeView(v: VolumeRecord, opts: { admin: boolean }) {
  const view = {
    id: v.id,
    name: v.name,
    projectId: v.projectId,
    sizeGb: v.sizeGb,
    status: v.status,
    deleteOnTermination: v.deleteOnTermination,
    instanceId: v.attachment?.instanceId ?? null,
    host: v.attachment?.host ?? null,
    device: v.attachment?.device ?? null,
    connection: v.targetIqn ? { targetIqn: v.targetIqn, targetPortal: v.targetPortal!, targetLun: v.targetLun! } : null,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
  };
  if (!opts.admin) return view;
  return { ...view, pool: v.pool, chap: v.chapUsername ? { username: v.chapUsername, secret: v.chapSecret } : null };
}

export type VolumeView = ReturnType<typeof volumeView>;
