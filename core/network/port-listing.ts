import type { DataSource } from 'typeorm';

export interface PortRow {
  id: string;
  networkId: string;
  networkName: string;
  instanceId: string | null;
  projectId: string | null;
  host: string | null;
  mac: string;
  ip: string | null;
  status: 'down' | 'active';
  deviceName: string | null;
  segmentation: { type: string; id: number | null };
  createdAt: string;
}

/** Ports with their address and network, oldest first: the admin's view of IPAM. */
export async function listPorts(
  db: DataSource,
  filter: { instanceId?: string; networkId?: string } = {},
): Promise<PortRow[]> {
  const rows: any[] = await db.query(
    `SELECT p.id, p.network_id, n.name AS network_name, p.instance_id, p.project_id, p.host, p.mac_address::text AS mac,
            host(a.address) AS ip, p.status, p.device_name, n.segmentation_type, n.segmentation_id, p.created_at
     FROM ports p JOIN networks n ON n.id = p.network_id LEFT JOIN ip_allocations a ON a.port_id = p.id
     WHERE ($1::uuid IS NULL OR p.instance_id = $1) AND ($2::uuid IS NULL OR p.network_id = $2)
     ORDER BY p.created_at, p.id`,
    [filter.instanceId ?? null, filter.networkId ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    networkId: r.network_id,
    networkName: r.network_name,
    instanceId: r.instance_id,
    projectId: r.project_id,
    host: r.host,
    mac: r.mac,
    ip: r.ip,
    status: r.status,
    deviceName: r.device_name,
    segmentation: { type: r.segmentation_type, id: r.segmentation_id },
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
