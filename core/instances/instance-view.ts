import type { DataSource } from 'typeorm';
import type { Attempt, Fault, InstanceStatus, TaskState } from '../../contracts/instances.js';

/** The instance as DESIGN.md's API shows it (REST and GraphQL share it). */
export interface InstanceView {
  id: string;
  name: string;
  projectId: string;
  status: InstanceStatus;
  taskState: TaskState | null;
  /** Nova's power_state: 0 NOSTATE, 1 RUNNING, 4 SHUTDOWN (contracts/power.ts). */
  powerState: number;
  host: string | null;
  flavor: string;
  image: string;
  flavorId: string;
  imageId: string;
  addresses: Array<{
    network: string;
    ip: string;
    mac: string;
    portId: string;
    segmentation: { type: string; id: number | null };
  }>;
  volumes: Array<{
    id: string;
    sizeGb: number;
    status: string;
    device: string | null;
    deleteOnTermination: boolean;
    connection: { targetIqn: string; targetPortal: string; targetLun: number } | null;
  }>;
  attempts: Attempt[];
  fault: Fault | null;
  createdAt: string;
  updatedAt: string;
  launchedAt: string | null;
}

export interface InstanceFilter {
  projectId?: string;
  status?: string;
  host?: string;
  limit?: number;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** Reads instances with everything that belongs to them, in a fixed number of queries per page. */
export class InstanceViews {
  constructor(private readonly db: DataSource) {}

  async get(id: string, projectId?: string): Promise<InstanceView | null> {
    const [view] = await this.load({ projectId }, [id]);
    return view ?? null;
  }

  async list(filter: InstanceFilter): Promise<InstanceView[]> {
    return this.load(filter);
  }

  private async load(filter: InstanceFilter, ids?: string[]): Promise<InstanceView[]> {
    const rows: any[] = await this.db.query(
      `SELECT i.*, f.name AS flavor_name, img.name AS image_name FROM instances i
       JOIN flavors f ON f.id = i.flavor_id JOIN images img ON img.id = i.image_id
       WHERE ($1::uuid[] IS NULL OR i.id = ANY($1::uuid[]))
         AND ($2::uuid IS NULL OR i.project_id = $2)
         AND ($3::text IS NULL OR i.status = $3)
         AND ($4::text IS NULL OR i.host = $4)
       ORDER BY i.created_at DESC LIMIT $5`,
      [ids ?? null, filter.projectId ?? null, filter.status ?? null, filter.host ?? null, filter.limit ?? 1000],
    );
    if (rows.length === 0) return [];
    const keys = rows.map((r) => r.id);
    const [ports, volumes, attempts, faults] = await Promise.all([
      this.db.query(
        `SELECT p.instance_id, p.id, n.name AS network, host(a.address) AS ip, p.mac_address::text AS mac,
                n.segmentation_type, n.segmentation_id
         FROM ports p JOIN networks n ON n.id = p.network_id LEFT JOIN ip_allocations a ON a.port_id = p.id
         WHERE p.instance_id = ANY($1) ORDER BY p.created_at`,
        [keys],
      ),
      this.db.query(
        `SELECT a.instance_id, v.id, v.size_gb, v.status, a.device, v.delete_on_termination,
                v.target_iqn, v.target_portal, v.target_lun
         FROM volume_attachments a JOIN volumes v ON v.id = a.volume_id
         WHERE a.instance_id = ANY($1) ORDER BY a.created_at`,
        [keys],
      ),
      this.db.query(`SELECT * FROM scheduling_attempts WHERE instance_id = ANY($1) ORDER BY attempt_no`, [keys]),
      this.db.query(`SELECT * FROM instance_faults WHERE instance_id = ANY($1)`, [keys]),
    ]);
    const by = <T extends { instance_id: string }>(list: T[], id: string) => list.filter((x) => x.instance_id === id);
    return rows.map((r) => {
      const fault = faults.find((f: any) => f.instance_id === r.id);
      return {
        id: r.id,
        name: r.name,
        projectId: r.project_id,
        status: r.status,
        taskState: r.task_state,
        powerState: r.power_state,
        host: r.host,
        flavor: r.flavor_name,
        image: r.image_name,
        flavorId: r.flavor_id,
        imageId: r.image_id,
        addresses: by(ports, r.id).map((p: any) => ({
          network: p.network,
          ip: p.ip,
          mac: p.mac,
          portId: p.id,
          segmentation: { type: p.segmentation_type, id: p.segmentation_id },
        })),
        volumes: by(volumes, r.id).map((v: any) => ({
          id: v.id,
          sizeGb: v.size_gb,
          status: v.status,
          device: v.device,
          deleteOnTermination: v.delete_on_termination,
          connection: v.target_iqn
            ? { targetIqn: v.target_iqn, targetPortal: v.target_portal, targetLun: v.target_lun }
            : null,
        })),
        attempts: by(attempts, r.id).map((a: any) => ({ host: a.host, outcome: a.outcome, reason: a.reason })),
        fault: fault ? { code: fault.code, message: fault.message, step: fault.step, host: fault.host } : null,
        createdAt: iso(r.created_at)!,
        updatedAt: iso(r.updated_at)!,
        launchedAt: iso(r.launched_at),
      };
    });
  }
}

/**
 * What GET shows of a build the moment it is admitted (BUILD/scheduling, nothing attached yet),
 * from what the API already holds: the answer to a POST costs no read-back.
 */
export function admittedInstanceView(i: {
  id: string;
  name: string;
  projectId: string;
  flavor: { id: string; name: string };
  image: { id: string; name: string };
  createdAt: Date;
  updatedAt: Date;
}): InstanceView {
  return {
    id: i.id,
    name: i.name,
    projectId: i.projectId,
    status: 'BUILD',
    taskState: 'scheduling',
    powerState: 0,
    host: null,
    flavor: i.flavor.name,
    image: i.image.name,
    flavorId: i.flavor.id,
    imageId: i.image.id,
    addresses: [],
    volumes: [],
    attempts: [],
    fault: null,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
    launchedAt: null,
  };
}
