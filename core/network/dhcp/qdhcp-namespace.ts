import ipaddr from 'ipaddr.js';
import { ensureNetns, listNetns, removeNetns, type IpRunner } from '../linux/ip.js';
import { deleteLink } from '../linux/segment.js';
import { dhcpInnerDevice, dhcpOuterDevice, qdhcpNamespace } from './dhcp-names.js';

/**
 * The qdhcp namespace of a network: a veth whose outer end joins the network's bridge in
 * the node's namespace and whose inner end, inside `qdhcp-<network id>`, holds the
 * subnet's gateway address (so the gateway answers ping) where dnsmasq listens.
 */

/** Every qdhcp namespace on the machine, whoever made it. */
export async function listQdhcpNamespaces(): Promise<string[]> {
  return (await listNetns()).filter((name) => name.startsWith('qdhcp-'));
}

/**
 * Makes (or completes) the network's qdhcp namespace on `bridge`, which `nodeIp` sees.
 * Each piece is checked first, so a second call, or one after a crash half-way, is safe.
 */
export async function plugQdhcp(
  nodeIp: IpRunner,
  network: { networkId: string; cidr: string; gateway: string },
  bridge: string,
): Promise<{ namespace: string; device: string }> {
  const namespace = qdhcpNamespace(network.networkId);
  const inner = dhcpInnerDevice(network.networkId);
  const outer = dhcpOuterDevice(network.networkId);
  const ns = await ensureNetns(namespace);
  if (!(await ns.link(inner))) {
    // A stale outer end (its peer went with an earlier namespace) would block the new pair.
    await deleteLink(nodeIp, outer);
    await nodeIp.run(['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', namespace]);
  }
  await nodeIp.run(['link', 'set', outer, 'master', bridge, 'up']);
  const prefix = ipaddr.IPv4.parseCIDR(network.cidr)[1];
  await ns.run(['addr', 'replace', `${network.gateway}/${prefix}`, 'dev', inner]);
  await ns.run(['link', 'set', inner, 'up']);
  return { namespace, device: inner };
}

/** Removes the namespace (its veth goes with it) and any stray outer end; missing pieces are fine. */
export async function unplugQdhcp(nodeIp: IpRunner, networkId: string): Promise<void> {
  await removeNetns(qdhcpNamespace(networkId));
  await deleteLink(nodeIp, dhcpOuterDevice(networkId));
}
