import type { DhcpStateWorkflowResult } from '../contracts/dhcp.js';
import { network } from './proxies.js';

/**
 * The network node's question at start: which networks and reservations should it serve?
 * The node never reads the database; the network service answers from IPAM.
 */
export async function DhcpState(): Promise<DhcpStateWorkflowResult> {
  return { networks: await network.listDhcpReservations() };
}
