import type { DataSource, EntityManager } from 'typeorm';
import { FaultCodes } from '../../contracts/errors.js';
import { StoragePool, Volume, VolumeAttachment } from '../db/entities/index.js';
import { DomainError, NotFoundError, isUniqueViolation } from '../errors.js';
import { iscsiExportFor } from './iscsi-target.js';

export interface VolumeConnection {
  targetIqn: string;
  targetPortal: string;
  targetLun: number;
}

/**
 * Volumes in storage pools: creating → available → in-use → available → deleted.
 * Each operation is keyed by the volume id, so a retried activity changes nothing twice.
 */
export class VolumeService {
  constructor(
    private readonly db: DataSource,
    private readonly portal: string,
  ) {}

  async create(input: {
    volumeId: string;
    projectId: string;
    sizeGb: number;
    name?: string | null;
    deleteOnTermination: boolean;
  }): Promise<Volume> {
    const existing = await this.db.getRepository(Volume).findOneBy({ id: input.volumeId });
    if (existing && existing.status !== 'creating') return existing;
    if (!existing) {
      try {
        await this.db.transaction(async (tx) => {
          const pool = await this.reserve(tx, input.sizeGb);
          await tx.getRepository(Volume).insert({
            id: input.volumeId,
            name: input.name ?? null,
            projectId: input.projectId,
            sizeGb: input.sizeGb,
            status: 'creating',
            pool,
            deleteOnTermination: input.deleteOnTermination,
          });
        });
      } catch (err) {
        // A concurrent retry of this very create inserted the row (and took the room) first;
        // this reservation rolled back with the insert, so finishing the same volume is right.
        if (!isUniqueViolation(err)) throw err;
      }
    }
    // The export is the step a real backend takes time over; a crash before it leaves 'creating', which a retry finishes.
    const exp = iscsiExportFor(input.volumeId, this.portal);
    await this.db.getRepository(Volume).update(
      { id: input.volumeId, status: 'creating' },
      { ...exp, status: 'available' },
    );
    return this.get(input.volumeId);
  }

  async get(volumeId: string): Promise<Volume> {
    const volume = await this.db.getRepository(Volume).findOneBy({ id: volumeId });
    if (!volume) throw new NotFoundError('volume', volumeId);
    return volume;
  }

  connectionOf(volume: Volume): VolumeConnection {
    return { targetIqn: volume.targetIqn!, targetPortal: volume.targetPortal!, targetLun: volume.targetLun! };
  }

  /** Records the attachment made on the host; the volume becomes in-use. */
  async markAttached(input: { volumeId: string; instanceId: string; host: string; device: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO volume_attachments (volume_id, instance_id, host, device) VALUES ($1, $2, $3, $4)
         ON CONFLICT (volume_id) DO UPDATE SET device = EXCLUDED.device, host = EXCLUDED.host
         WHERE volume_attachments.instance_id = EXCLUDED.instance_id`,
        [input.volumeId, input.instanceId, input.host, input.device],
      );
      await tx.getRepository(Volume).update({ id: input.volumeId }, { status: 'in-use' });
    });
  }

  async markDetached(volumeId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.getRepository(VolumeAttachment).delete({ volumeId });
      await tx.getRepository(Volume).update({ id: volumeId, status: 'in-use' }, { status: 'available' });
    });
  }

  async attachmentsOf(instanceId: string): Promise<Array<{ volumeId: string; deleteOnTermination: boolean }>> {
    return this.db.query(
      `SELECT v.id AS "volumeId", v.delete_on_termination AS "deleteOnTermination"
       FROM volume_attachments a JOIN volumes v ON v.id = a.volume_id WHERE a.instance_id = $1`,
      [instanceId],
    );
  }

  /** Deletes the volume and returns its room to the pool; deleting a deleted or missing volume is a no-op. */
  async delete(volumeId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [volume]: Volume[] = await tx.query(
        `SELECT id, size_gb AS "sizeGb", pool, status FROM volumes WHERE id = $1 FOR UPDATE`,
        [volumeId],
      );
      if (!volume || volume.status === 'deleted') return;
      await tx.getRepository(VolumeAttachment).delete({ volumeId });
      await tx.query(`UPDATE storage_pools SET allocated_gb = allocated_gb - $2 WHERE name = $1`, [volume.pool, volume.sizeGb]);
      await tx.getRepository(Volume).update(
        { id: volumeId },
        { status: 'deleted', targetIqn: null, targetPortal: null, targetLun: null, chapUsername: null, chapSecret: null },
      );
    });
  }

  /** Takes room in the pool with the most free space; conditional updates, so a pool never over-commits. */
  private async reserve(tx: EntityManager, sizeGb: number): Promise<string> {
    const pools = await tx.getRepository(StoragePool).find();
    pools.sort((a, b) => b.capacityGb - b.allocatedGb - (a.capacityGb - a.allocatedGb));
    for (const pool of pools) {
      const [, affected] = await tx.query(
        `UPDATE storage_pools SET allocated_gb = allocated_gb + $2 WHERE name = $1 AND capacity_gb - allocated_gb >= $2`,
        [pool.name, sizeGb],
      );
      if (affected > 0) return pool.name;
    }
    const free = pools.map((p) => `${p.name}: ${p.capacityGb - p.allocatedGb} GB free`).join(', ') || 'no pools';
    throw new DomainError(FaultCodes.StoragePoolExhausted, `no storage pool has ${sizeGb} GB free (${free})`);
  }
}
