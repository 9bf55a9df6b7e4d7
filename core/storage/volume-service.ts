import type { DataSource, EntityManager } from 'typeorm';
import { reserveWithinQuota, volumeQuotaRequest } from '../projects/quotas.js';
import { FaultCodes, VolumeConflicts } from '../../contracts/errors.js';
import { StoragePool, Volume, VolumeAttachment } from '../db/entities/index.js';
import { type LockedVolume, belongsTo, lockVolume } from './volume-lock.js';
import type { IscsiConnection, IscsiTarget } from '../../contracts/storage.js';
import { DomainError, NotFoundError, isUniqueViolation } from '../errors.js';
import type { VolumeBackend, VolumeExport } from './backends/backend.js';
import { FakeVolumeBackend } from './backends/fake.js';

/**
 * Volumes in storage pools: creating → available → in-use → available → deleted.
 * Each operation is keyed by the volume id, so a retried activity changes nothing twice.
 * The storage itself is the backend's (backends/backend.ts); this service keeps the
 * records, the pools' room and the state machine.
 */
export class VolumeService {
  private readonly backend: VolumeBackend;

  /**
   * `lun`: the one the storage node's backend exports on (TGT_LUN with tgt). The control
   * plane never shells out: it records the export, and the storage node makes it real.
   */
  constructor(
    private readonly db: DataSource,
    portal: string,
    backend?: VolumeBackend,
    lun = 0,
  ) {
    this.backend = backend ?? new FakeVolumeBackend(portal, lun);
  }

  async create(input: {
    volumeId: string;
    projectId: string;
    sizeGb: number;
    name?: string | null;
    deleteOnTermination: boolean;
    /** The instance a build creates the volume for. */
    instanceId?: string | null;
    /**
     * A standalone volume takes its size from the project's quota here, under the project's
     * lock as builds do; a build's volume was counted when the build was accepted.
     */
    checkQuota?: boolean;
  }): Promise<Volume> {
    const existing = await this.db.getRepository(Volume).findOneBy({ id: input.volumeId });
    if (existing && existing.status !== 'creating') return existing;
    if (!existing) {
      try {
        await this.db.transaction(async (tx) => {
          if (input.checkQuota) await reserveWithinQuota(tx, input.projectId, volumeQuotaRequest(input.sizeGb));
          const pool = await this.takePoolRoom(tx, input.sizeGb);
          await tx.getRepository(Volume).insert({
            id: input.volumeId,
            name: input.name ?? null,
            projectId: input.projectId,
            sizeGb: input.sizeGb,
            status: 'creating',
            pool,
            deleteOnTermination: input.deleteOnTermination,
            instanceId: input.instanceId ?? null,
          });
        });
      } catch (err) {
        // A concurrent retry of this very create inserted the row (and took the room) first;
        // this reservation rolled back with the insert, so finishing the same volume is right.
        if (!isUniqueViolation(err)) throw err;
      }
    }
    // The backend's steps take time; a crash before the update leaves 'creating', which a retry finishes.
    const created = await this.get(input.volumeId);
    if (created.status !== 'creating') return created;
    const volume = { volumeId: created.id, sizeGb: created.sizeGb, pool: created.pool };
    await this.backend.createVolume(volume);
    const exp = await this.backend.createExport(volume);
    await this.db
      .getRepository(Volume)
      .update({ id: input.volumeId, status: 'creating' }, { ...exp, status: 'available' });
    return this.get(input.volumeId);
  }

  async get(volumeId: string): Promise<Volume> {
    const volume = await this.db.getRepository(Volume).findOneBy({ id: volumeId });
    if (!volume) throw new NotFoundError('volume', volumeId);
    return volume;
  }

  /** The volume's recorded target, without credentials (what the API shows). */
  connectionOf(volume: Volume): IscsiTarget {
    return { targetIqn: volume.targetIqn!, targetPortal: volume.targetPortal!, targetLun: volume.targetLun! };
  }

  /** The connection a host logs in with: the recorded export with its CHAP credentials, from the backend. */
  initializeConnection(volume: Volume, host: string | null = null): Promise<IscsiConnection> {
    const credentials = { chapUsername: volume.chapUsername!, chapSecret: volume.chapSecret! };
    const exported: VolumeExport = { ...this.connectionOf(volume), ...credentials };
    return this.backend.initializeConnection(exported, host);
  }

  /**
   * Records the attachment made on the host; the volume becomes in-use. Scoped to the
   * instance: a volume another instance holds (or was made for), or one deleted since, is
   * refused, so a late attach of an undone build never takes it over.
   */
  async markAttached(input: { volumeId: string; instanceId: string; host: string; device: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const volume = await lockVolume(tx, input.volumeId);
      if (!volume || volume.status === 'deleted' || !belongsTo(volume, input.instanceId)) {
        const why = volume ? `${volume.status}, held by another instance` : 'gone';
        throw new DomainError(
          FaultCodes.VolumeNotAvailable,
          `volume ${input.volumeId} is ${why}: not attached to ${input.instanceId}`,
        );
      }
      await tx.query(
        `INSERT INTO volume_attachments (volume_id, instance_id, host, device) VALUES ($1, $2, $3, $4)
         ON CONFLICT (volume_id) DO UPDATE SET device = EXCLUDED.device, host = EXCLUDED.host
         WHERE volume_attachments.instance_id = EXCLUDED.instance_id`,
        [input.volumeId, input.instanceId, input.host, input.device],
      );
      await tx.getRepository(Volume).update({ id: input.volumeId }, { status: 'in-use' });
    });
  }

  /**
   * The host let go of the volume: its access ends; available again, whether it was attached
   * or only reserved. With `instanceId`, only that instance's attachment is released: when the
   * volume is held by another instance now (a late retry), nothing changes.
   */
  async markDetached(volumeId: string, instanceId?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const volume = await lockVolume(tx, volumeId);
      if (!volume || !belongsTo(volume, instanceId)) return;
      await this.backend.terminateConnection(volumeId, null);
      await tx.getRepository(VolumeAttachment).delete({ volumeId });
      await tx.query(
        `UPDATE volumes SET status = 'available', updated_at = now()
         WHERE id = $1 AND status IN ('in-use', 'attaching')`,
        [volumeId],
      );
    });
  }

  /**
   * Reserves an existing standalone volume of the project for a build: available →
   * attaching, with its attachment row (the host is known, the device not yet). Keyed by
   * (volume, instance): a retry finds its own reservation, or the finished attachment, and
   * answers the same; anyone else finds the volume taken.
   */
  async reserve(input: { volumeId: string; instanceId: string; projectId: string; host: string }): Promise<Volume> {
    await this.db.transaction(async (tx) => {
      const volume = await lockVolume(tx, input.volumeId);
      if (!volume || volume.status === 'deleted' || volume.projectId !== input.projectId) {
        throw new DomainError(
          FaultCodes.VolumeNotAvailable,
          `volume ${input.volumeId} does not exist in the instance's project`,
        );
      }
      const [mine] = await tx.query(`SELECT 1 FROM volume_attachments WHERE volume_id = $1 AND instance_id = $2`, [
        input.volumeId,
        input.instanceId,
      ]);
      if (mine) return;
      if (volume.deleteOnTermination) {
        throw new DomainError(FaultCodes.VolumeNotAvailable, `volume ${input.volumeId} belongs to another instance`);
      }
      if (volume.status !== 'available') {
        throw new DomainError(
          FaultCodes.VolumeNotAvailable,
          `volume ${input.volumeId} is ${volume.status}, not available`,
        );
      }
      await tx.query(
        `INSERT INTO volume_attachments (volume_id, instance_id, host, device) VALUES ($1, $2, $3, NULL)`,
        [input.volumeId, input.instanceId, input.host],
      );
      await tx.query(`UPDATE volumes SET status = 'attaching', updated_at = now() WHERE id = $1`, [input.volumeId]);
    });
    return this.get(input.volumeId);
  }

  /**
   * Undoes a reservation: the volume is available again and is never deleted. Only this
   * instance's hold is released, so a late undo cannot free a volume another build took since.
   */
  async unreserve(input: { volumeId: string; instanceId: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const volume = await lockVolume(tx, input.volumeId);
      if (!volume) return;
      const [, released] = await tx.query(`DELETE FROM volume_attachments WHERE volume_id = $1 AND instance_id = $2`, [
        input.volumeId,
        input.instanceId,
      ]);
      if (released > 0) {
        await tx.query(
          `UPDATE volumes SET status = 'available', updated_at = now()
           WHERE id = $1 AND status IN ('in-use', 'attaching')`,
          [input.volumeId],
        );
      }
    });
  }

  async attachmentsOf(
    instanceId: string,
  ): Promise<Array<{ volumeId: string; deleteOnTermination: boolean; pool: string }>> {
    return this.db.query(
      `SELECT v.id AS "volumeId", v.delete_on_termination AS "deleteOnTermination", v.pool
       FROM volume_attachments a JOIN volumes v ON v.id = a.volume_id WHERE a.instance_id = $1`,
      [instanceId],
    );
  }

  async liveVolumeIds(): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id::text AS id FROM volumes WHERE status <> 'deleted'`,
    );
    return rows.map((r) => r.id);
  }

  /**
   * Deletes the volume and returns its room to the pool; deleting a deleted or missing volume
   * is a no-op. With `instanceId` (a build's undo, a delete), a volume made for or held by
   * another instance is left alone.
   */
  async delete(volumeId: string, instanceId?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const volume = await lockVolume(tx, volumeId);
      if (volume && belongsTo(volume, instanceId)) await this.deleteLocked(tx, volume);
    });
  }

  /**
   * A user's delete: only a volume nothing holds. One in use or reserved by a build, or one
   * a build created for its instance (deleted with that instance), is refused.
   */
  async deleteDetached(volumeId: string, projectId?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const volume = await lockVolume(tx, volumeId);
      if (!volume || (projectId !== undefined && volume.projectId !== projectId))
        throw new NotFoundError('volume', volumeId);
      if (volume.status === 'deleted') return;
      if (volume.deleteOnTermination) {
        throw new DomainError(
          VolumeConflicts.InUse,
          `volume ${volumeId} belongs to an instance and is deleted with it`,
        );
      }
      if (volume.status !== 'available' && volume.status !== 'error') {
        throw new DomainError(
          VolumeConflicts.InUse,
          `volume ${volumeId} is ${volume.status}: detach it (delete its instance) first`,
        );
      }
      await this.deleteLocked(tx, volume);
    });
  }

  private async deleteLocked(tx: EntityManager, volume: LockedVolume): Promise<void> {
    if (volume.status === 'deleted') return;
    // Under the row lock and before the row says deleted: a failure here leaves it to a retry.
    await this.backend.deleteVolume({ volumeId: volume.id, sizeGb: volume.sizeGb, pool: volume.pool });
    await tx.getRepository(VolumeAttachment).delete({ volumeId: volume.id });
    await tx.query(`UPDATE storage_pools SET allocated_gb = allocated_gb - $2 WHERE name = $1`, [
      volume.pool,
      volume.sizeGb,
    ]);
    await tx.getRepository(Volume).update(
      { id: volume.id },
      {
        status: 'deleted',
        targetIqn: null,
        targetPortal: null,
        targetLun: null,
        chapUsername: null,
        chapSecret: null,
      },
    );
  }

  /** Takes room in the pool with the most free space; conditional updates, so a pool never over-commits. */
  private async takePoolRoom(tx: EntityManager, sizeGb: number): Promise<string> {
    const pools = await tx.getRepository(StoragePool).find();
    pools.sort((a, b) => b.capacityGb - b.allocatedGb - (a.capacityGb - a.allocatedGb));
    for (const pool of pools) {
      const [, affected] = await tx.query(
        `UPDATE storage_pools SET allocated_gb = allocated_gb + $2
         WHERE name = $1 AND capacity_gb - allocated_gb >= $2`,
        [pool.name, sizeGb],
      );
      if (affected > 0) return pool.name;
    }
    const free = pools.map((p) => `${p.name}: ${p.capacityGb - p.allocatedGb} GB free`).join(', ') || 'no pools';
    throw new DomainError(FaultCodes.StoragePoolExhausted, `no storage pool has ${sizeGb} GB free (${free})`);
  }
}
