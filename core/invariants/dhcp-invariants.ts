import type { DataSource } from 'typeorm';
import type { ServedNetwork } from '../../contracts/dhcp.js';
import type { Violation } from './check-invariants.js';

/**
 * The network node's DHCP against IPAM: a reservation whose port is gone would hand its
 * address to a MAC nobody owns any more, and a network served (qdhcp namespace, dnsmasq)
 * with no port left, or deleted, is a leftover. `namespaces`: the qdhcp namespaces that
 * exist, to say which leftovers still run.
 */
export async function checkDhcp(
  db: DataSource,
  served: ServedNetwork[],
  namespaces: Set<string>,
): Promise<Violation[]> {
  const portIds = served.flatMap((s) => s.reservations.map((r) => r.portId));
  const ports = new Set(
    (await db.query(`SELECT id::text AS id FROM ports WHERE id::text = ANY($1)`, [portIds])).map(
      (r: { id: string }) => r.id,
    ),
  );
  const networks: Array<{ id: string; ports: number }> = await db.query(
    `SELECT n.id::text AS id, count(p.id)::int AS ports FROM networks n LEFT JOIN ports p ON p.network_id = n.id
     WHERE n.id::text = ANY($1) GROUP BY n.id`,
    [served.map((s) => s.network.networkId)],
  );
  const portsOn = new Map(networks.map((n) => [n.id, n.ports]));
  const found: Violation[] = [];
  for (const { network, reservations } of served) {
    const { networkId } = network;
    const running = namespaces.has(`qdhcp-${networkId}`) ? 'its qdhcp namespace exists' : 'its state is left';
    if (!portsOn.has(networkId)) {
      found.push({ kind: 'dhcp_namespace', id: networkId, detail: `the network is deleted; ${running}` });
    } else if (portsOn.get(networkId) === 0) {
      found.push({ kind: 'dhcp_namespace', id: networkId, detail: `the network has no port; ${running}` });
    }
    for (const r of reservations.filter((r) => !ports.has(r.portId))) {
      found.push({
        kind: 'dhcp_reservation',
        id: r.portId,
        detail: `${r.mac} → ${r.ip} on network ${networkId} is reserved for a port that is gone`,
      });
    }
  }
  return found;
}
