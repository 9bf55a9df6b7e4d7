import type { DhcpDriver, ServedNetwork } from './dhcp-driver.js';

export interface DhcpReconcileReport {
  /** Networks served here that the control plane no longer has ports on (or at all). */
  removedNetworks: string[];
  /** Reservations of ports that are gone, as `network/port`. */
  removedReservations: string[];
  /** Reservations (re)applied: every wanted one, which also restarts a dnsmasq that died. */
  applied: number;
}

/**
 * Brings the node's DHCP in line with the ports the control plane reports (Neutron's DHCP
 * agent `sync_state`): leftovers go, every wanted reservation is applied again (idempotent).
 * Only networks in the driver's own state are compared: another node's are not its business.
 */
export async function reconcileDhcp(driver: DhcpDriver, wanted: ServedNetwork[]): Promise<DhcpReconcileReport> {
  const report: DhcpReconcileReport = { removedNetworks: [], removedReservations: [], applied: 0 };
  const wantedById = new Map(wanted.map((w) => [w.network.networkId, w]));
  for (const served of await driver.listNetworks()) {
    const { networkId } = served.network;
    const want = wantedById.get(networkId);
    if (!want || want.reservations.length === 0) {
      await driver.removeNetwork(networkId);
      report.removedNetworks.push(networkId);
      continue;
    }
    const keep = new Set(want.reservations.map((r) => r.portId));
    for (const r of served.reservations.filter((r) => !keep.has(r.portId))) {
      await driver.removeReservation(networkId, r.portId);
      report.removedReservations.push(`${networkId}/${r.portId}`);
    }
  }
  for (const want of wanted) {
    for (const r of want.reservations) {
      await driver.addReservation(want.network, r);
      report.applied++;
    }
  }
  return report;
}

/** Drops every reservation of the instance, on every network this node serves. */
export async function removeInstanceReservations(driver: DhcpDriver, instanceId: string): Promise<void> {
  for (const served of await driver.listNetworks()) {
    for (const r of served.reservations.filter((r) => r.instanceId === instanceId)) {
      await driver.removeReservation(served.network.networkId, r.portId);
    }
  }
}
