import type { DataSource } from 'typeorm';
import { bridgeName, tapDeviceName } from './port-binding.js';
import type { ExpectedDevices } from './vif/stray-devices.js';

/**
 * The host devices that belong: a tap per port of a live instance (BUILD, ACTIVE, SHUTOFF)
 * on its host, and the bridge of each such port's network. Anything else on a host is a
 * leftover: the agent's reconciliation removes it (core/compute/reconciler.ts, told by the
 * control plane) and the invariant checker reports it (core/invariants/check-invariants.ts).
 */

/** Host → the taps and bridges it should have, for each of `hosts`. */
export async function expectedVifDevices(db: DataSource, hosts: string[]): Promise<Map<string, ExpectedDevices>> {
  const rows: Array<{ host: string; port_id: string; network_id: string }> = await db.query(
    `SELECT i.host, p.id::text AS port_id, p.network_id::text AS network_id
     FROM ports p JOIN instances i ON i.id = p.instance_id
     WHERE i.host = ANY($1) AND i.status IN ('BUILD', 'ACTIVE', 'SHUTOFF')`,
    [hosts],
  );
  const byHost = new Map(hosts.map((h) => [h, { taps: new Set<string>(), bridges: new Set<string>() }]));
  for (const r of rows) {
    byHost.get(r.host)?.taps.add(tapDeviceName(r.port_id));
    byHost.get(r.host)?.bridges.add(bridgeName(r.network_id));
  }
  return byHost;
}
