/**
 * Names of the network node's DHCP devices, Neutron's way: the namespace carries the whole
 * network id (`qdhcp-<id>`, no length limit), interfaces a prefix of it within IFNAMSIZ.
 */

/** The network's DHCP namespace, as `ip netns exec qdhcp-<network id> …` finds it. */
export function qdhcpNamespace(networkId: string): string {
  return `qdhcp-${networkId}`;
}

/** The veth end inside the qdhcp namespace: `ns-` + 11 characters of the network id (Neutron's prefix). */
export function dhcpInnerDevice(networkId: string): string {
  return 'ns-' + networkId.slice(0, 11);
}

/** The veth end on the network's bridge, in the node's namespace (14 characters). */
export function dhcpOuterDevice(networkId: string): string {
  return 'dhc' + networkId.slice(0, 11);
}
