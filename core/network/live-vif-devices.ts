import type { DataSource } from 'typeorm';
import { bridgeName, tapDeviceName } from './port-binding.js';

/**
 * The host devices that belong: a tap per port of a live instance (BUILD, ACTIVE, SHUTOFF)
 * on its host, and the bridge of each such port's network. Anything else on a host is a
 * leftover: the agent's reconciliation removes it (core/compute/vif-reconciler.ts) and the
 * invariant checker reports it (core/invariants/check-invariants.ts).
 */

export interface ExpectedDevices {
  taps: Set<string>;
  bridges: Set<string>;
}

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

/**
 * The devices of `devices` (bridge → taps, bare taps under '') that belong to no live port:
 * taps first, then bridges left with no tap that belongs.
 */
export function strayDevices(devices: Record<string, string[]>, expected: ExpectedDevices): string[] {
  const taps = Object.values(devices)
    .flat()
    .filter((t) => !expected.taps.has(t));
  const bridges = Object.entries(devices)
    .filter(([bridge, on]) => bridge !== '' && !expected.bridges.has(bridge) && on.every((t) => taps.includes(t)))
    .map(([bridge]) => bridge);
  return [...taps.sort(), ...bridges.sort()];
}
