import type { PortInfo, Segmentation } from './network.js';

/**
 * The network node's DHCP shapes (Neutron's DHCP agent): the workflows send a port's
 * reservation to the node's queue, and the node's reconciliation asks the control plane for
 * every reservation it should hold. Written once here; the node's driver and the control
 * plane's listing both use them.
 */

/** The network as its DHCP server needs it. */
export interface DhcpNetwork {
  networkId: string;
  /** The subnet, e.g. `10.1.0.0/28`. */
  cidr: string;
  /** The gateway address: held by the qdhcp namespace (it answers ping) and offered as the router. */
  gateway: string;
  segmentation: Segmentation;
}

/** One port's reservation: the guest with this MAC gets this IP. */
export interface DhcpReservation {
  portId: string;
  /** Whose port: DeleteInstance and the build's undo remove an instance's reservations by it. */
  instanceId: string | null;
  mac: string;
  ip: string;
}

/** A network with its reservations: what a node serves, and what the control plane wants served. */
export interface ServedNetwork {
  network: DhcpNetwork;
  reservations: DhcpReservation[];
}

/** The activities of the network node's queue (TaskQueues.networkNode). */
export interface DhcpActivities {
  /** Serves the port's network if it is not yet, and reserves the port's IP for its MAC. Idempotent. */
  addDhcpReservation(input: { instanceId: string; port: PortInfo }): Promise<void>;
  /** Drops every reservation of the instance; the last one of a network stops its DHCP. Idempotent. */
  removeDhcpReservation(input: { instanceId: string }): Promise<void>;
}

/** What the DhcpState workflow answers the network node: every network with ports, and their reservations. */
export interface DhcpStateWorkflowResult {
  networks: ServedNetwork[];
}
