import type { EntityManager } from 'typeorm';
import type { Volume } from '../db/entities/index.js';

export type LockedVolume = Pick<
  Volume,
  'id' | 'projectId' | 'sizeGb' | 'pool' | 'status' | 'deleteOnTermination' | 'instanceId'
> & {
  /** The instance whose attachment (or reservation) the volume has, if any. */
  heldBy: string | null;
};

/** The volume row, locked for the rest of the transaction, with its holder; null when there is none. */
export async function lockVolume(tx: EntityManager, volumeId: string): Promise<LockedVolume | null> {
  const [row] = await tx.query(
    `SELECT id, project_id AS "projectId", size_gb AS "sizeGb", pool, status,
            delete_on_termination AS "deleteOnTermination", instance_id AS "instanceId",
            (SELECT a.instance_id FROM volume_attachments a WHERE a.volume_id = v.id) AS "heldBy"
     FROM volumes v WHERE id = $1 FOR UPDATE`,
    [volumeId],
  );
  return row ?? null;
}

/**
 * Whether a change that `instanceId` asks for may touch the volume: not when the volume was
 * made for, or is held by, another instance (a late retry of an undone build must never free
 * what a newer build holds). No instance named: the caller predates scoping, as before.
 */
export function belongsTo(volume: LockedVolume, instanceId: string | undefined): boolean {
  if (instanceId === undefined) return true;
  if (volume.instanceId && volume.instanceId !== instanceId) return false;
  return volume.heldBy === null || volume.heldBy === instanceId;
}
