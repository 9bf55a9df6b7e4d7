import type { DataSource } from 'typeorm';
import type { ServedNetwork } from '../../contracts/dhcp.js';
import type { SegmentationType } from '../../contracts/network.js';

/**
 * What the network node should serve, from IPAM: every network that has ports with an
 * address, and each such port as a reservation (its MAC gets its IP). The network node's
 * reconciliation compares its qdhcp namespaces and hosts files with this (Neutron's DHCP
 * agent asks the server for its networks the same way: get_active_networks_info).
 */
export async function listDhcpReservations(db: DataSource): Promise<ServedNetwork[]> {
  const rows: Array<{
    network_id: string;
    cidr: string;
    gateway: string;
    segmentation_type: SegmentationType;
    segmentation_id: number | null;
    port_id: string;
    instance_id: string | null;
    mac: string;
    ip: string;
  }> = await db.query(
    `SELECT n.id AS network_id, n.cidr::text AS cidr, host(n.gateway) AS gateway, n.segmentation_type,
            n.segmentation_id, p.id AS port_id, p.instance_id, p.mac_address::text AS mac, host(a.address) AS ip
     FROM ports p JOIN networks n ON n.id = p.network_id JOIN ip_allocations a ON a.port_id = p.id
     ORDER BY n.id, p.created_at, p.id`,
  );
  const byNetwork = new Map<string, ServedNetwork>();
  for (const r of rows) {
    let served = byNetwork.get(r.network_id);
    if (!served) {
      const segmentation = { type: r.segmentation_type, id: r.segmentation_id };
      served = {
        network: { networkId: r.network_id, cidr: r.cidr, gateway: r.gateway, segmentation },
        reservations: [],
      };
      byNetwork.set(r.network_id, served);
    }
    served.reservations.push({ portId: r.port_id, instanceId: r.instance_id, mac: r.mac, ip: r.ip });
  }
  return [...byNetwork.values()];
}
