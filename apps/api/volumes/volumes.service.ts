import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { findVolume, listVolumes } from '../../../core/storage/volume-listing.js';
import { VolumeService } from '../../../core/storage/volume-service.js';
import type { Principal } from '../common/auth.js';
import { Problem, ProblemTypes } from '../common/problem.js';
import type { CreateVolumeDto } from './create-volume.dto.js';
import { volumeView, type VolumeView } from './volume-view.js';

/** Name-based UUIDs (RFC 9562 v5) under this namespace: an Idempotency-Key maps to one volume id. */
const IDEMPOTENCY_NAMESPACE = Buffer.from('6f1c2a4e8b3d4c5fa0e19d7b2c3e4f50', 'hex');

export function idempotentVolumeId(projectId: string, key: string): string {
  const hash = createHash('sha1').update(IDEMPOTENCY_NAMESPACE).update(`${projectId}\n${key}`).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface VolumeListFilter {
  instanceId?: string;
  status?: string;
  projectId?: string;
}

/**
 * Standalone volumes: project-scoped for everyone but the admin; another project's volume is
 * "not found".
 */
@Injectable()
export class VolumesService {
  constructor(
    private readonly db: DataSource,
    private readonly volumes: VolumeService,
  ) {}

  /**
   * Creates the volume at once (the pool reservation and the export are one short
   * transaction). With an Idempotency-Key the id derives from the key, so a repeat returns
   * the same volume and a repeat with another body is a conflict.
   */
  async create(principal: Principal, body: CreateVolumeDto, idempotencyKey?: string): Promise<VolumeView> {
    const volumeId = idempotencyKey ? idempotentVolumeId(principal.projectId, idempotencyKey) : randomUUID();
    const name = body.name ?? null;
    const { projectId } = principal;
    await this.volumes.create({
      volumeId,
      projectId,
      sizeGb: body.sizeGb,
      name,
      deleteOnTermination: false,
      checkQuota: true,
    });
    const record = (await findVolume(this.db, volumeId))!;
    if (record.sizeGb !== body.sizeGb || record.name !== name || record.deleteOnTermination) {
      const detail = `Idempotency-Key "${idempotencyKey}" was used with a different request body`;
      throw Problem.conflict(detail, ProblemTypes.idempotencyMismatch);
    }
    return volumeView(record, { admin: principal.isAdmin });
  }

  async list(principal: Principal, filter: VolumeListFilter): Promise<VolumeView[]> {
    const projectId = principal.isAdmin ? filter.projectId : principal.projectId;
    const records = await listVolumes(this.db, { ...filter, projectId });
    return records.map((r) => volumeView(r, { admin: principal.isAdmin }));
  }

  async get(principal: Principal, id: string): Promise<VolumeView> {
    const record = await findVolume(this.db, id, principal.isAdmin ? undefined : principal.projectId);
    if (!record) throw Problem.notFound('volume', id);
    return volumeView(record, { admin: principal.isAdmin });
  }

  /** Refused while attached or reserved (409 VolumeInUse); deleting a deleted volume changes nothing. */
  async delete(principal: Principal, id: string): Promise<void> {
    await this.volumes.deleteDetached(id, principal.isAdmin ? undefined : principal.projectId);
  }
}
