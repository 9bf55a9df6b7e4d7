import type { DhcpNetwork, DhcpReservation, ServedNetwork } from '../../../contracts/dhcp.js';

export type { DhcpNetwork, DhcpReservation, ServedNetwork };

/**
 * The network node's DHCP (Neutron's DHCP agent with its dnsmasq driver): per network a
 * namespace `qdhcp-<network id>` on the network's segment, holding the subnet's gateway
 * address and a dnsmasq that hands each port exactly its address (one reservation per
 * port, MAC → IP, and nothing to a MAC without one). Every operation is idempotent.
 */

export interface DhcpDriver {
  /**
   * Serves the network (namespace, address, dnsmasq) if it does not yet and adds the port's
   * reservation; the same reservation again is a no-op, a changed one replaces it.
   */
  addReservation(network: DhcpNetwork, reservation: DhcpReservation): Promise<void>;
  /** Drops the port's reservation; the network's last one takes the namespace and dnsmasq with it. */
  removeReservation(networkId: string, portId: string): Promise<void>;
  /** Stops serving the network: dnsmasq, namespace, state; an unknown network is a no-op. */
  removeNetwork(networkId: string): Promise<void>;
  /** The networks this node serves, from its own state. */
  listNetworks(): Promise<ServedNetwork[]>;
}

/**
 * The reservations once `reservation` is added: a port's MAC or IP may have moved to
 * another port (a rebuild), and the newest reservation wins.
 */
export function withReservation(reservations: DhcpReservation[], reservation: DhcpReservation): DhcpReservation[] {
  const others = reservations.filter(
    (r) => r.portId !== reservation.portId && r.mac !== reservation.mac && r.ip !== reservation.ip,
  );
  return [...others, reservation];
}
