import type { DhcpDriver, DhcpNetwork, DhcpReservation, ServedNetwork } from './dhcp-driver.js';
import { withReservation } from './dhcp-driver.js';

/**
 * A DHCP driver that keeps the networks and their reservations in memory: what fast tests
 * and the fake data plane use. It follows the real one's rules (withReservation; the last
 * reservation takes the network with it).
 */
export class FakeDhcpDriver implements DhcpDriver {
  private readonly served = new Map<string, ServedNetwork>();

  addReservation(network: DhcpNetwork, reservation: DhcpReservation): Promise<void> {
    const reservations = withReservation(this.served.get(network.networkId)?.reservations ?? [], reservation);
    this.served.set(network.networkId, { network, reservations });
    return Promise.resolve();
  }

  removeReservation(networkId: string, portId: string): Promise<void> {
    const served = this.served.get(networkId);
    if (!served) return Promise.resolve();
    const reservations = served.reservations.filter((r) => r.portId !== portId);
    if (reservations.length === 0) this.served.delete(networkId);
    else this.served.set(networkId, { ...served, reservations });
    return Promise.resolve();
  }

  removeNetwork(networkId: string): Promise<void> {
    this.served.delete(networkId);
    return Promise.resolve();
  }

  listNetworks(): Promise<ServedNetwork[]> {
    return Promise.resolve([...this.served.values()].map((s) => structuredClone(s)));
  }
}
