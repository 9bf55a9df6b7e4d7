import type { DataSource } from 'typeorm';
import type { VolumeStatus } from '../db/entities/volume.entity.js';

/** A volume with its attachment, as stored: the API decides what each caller may see of it. */
export interface VolumeRecord {
  id: string;
  name: string | null;
  projectId: string;
  sizeGb: number;
  status: VolumeStatus;
  pool: string;
  deleteOnTermination: boolean;
  targetIqn: string | null;
  targetPortal: string | null;
  targetLun: number | null;
  chapUsername: string | null;
  chapSecret: string | null;
  attachment: { instanceId: string; host: string; device: string | null } | null;
  createdAt: string;
  updatedAt: string;
}

export interface VolumeFilter {
  /** Only this project's volumes (a non-admin caller always has one). */
  projectId?: string;
  instanceId?: string;
  status?: string;
  ids?: string[];
  /** Deleted volumes are kept as rows but listed only when asked for (or by status=deleted). */
  includeDeleted?: boolean;
}

export async function listVolumes(db: DataSource, filter: VolumeFilter = {}): Promise<VolumeRecord[]> {
  const rows: any[] = await db.query(
    `SELECT v.*, a.instance_id, a.host AS attached_host, a.device
     FROM volumes v LEFT JOIN volume_attachments a ON a.volume_id = v.id
     WHERE ($1::uuid IS NULL OR v.project_id = $1)
       AND ($2::uuid IS NULL OR a.instance_id = $2)
       AND ($3::text IS NULL OR v.status = $3)
       AND ($4::uuid[] IS NULL OR v.id = ANY($4::uuid[]))
       AND ($5 OR $3::text = 'deleted' OR v.status <> 'deleted')
     ORDER BY v.created_at, v.id`,
    [
      filter.projectId ?? null,
      filter.instanceId ?? null,
      filter.status ?? null,
      filter.ids ?? null,
      filter.includeDeleted ?? false,
    ],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    projectId: r.project_id,
    sizeGb: r.size_gb,
    status: r.status,
    pool: r.pool,
    deleteOnTermination: r.delete_on_termination,
    targetIqn: r.target_iqn,
    targetPortal: r.target_portal,
    targetLun: r.target_lun,
    chapUsername: r.chap_username,
    chapSecret: r.chap_secret,
    attachment: r.instance_id ? { instanceId: r.instance_id, host: r.attached_host, device: r.device } : null,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  }));
}

/**
 * One volume, deleted ones included (a GET of a deleted volume shows it deleted); null when absent or another
 * project's.
 */
export async function findVolume(db: DataSource, id: string, projectId?: string): Promise<VolumeRecord | null> {
  const [found] = await listVolumes(db, { ids: [id], projectId, includeDeleted: true });
  return found ?? null;
}
