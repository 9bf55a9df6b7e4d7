import { existsSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { dhcpInnerDevice, dhcpOuterDevice, qdhcpNamespace } from './dhcp-names.js';
import { hostCommand, ipIn, type IpCommand } from './host-command.js';

/**
 * The qdhcp namespace of a network: a veth whose outer end joins the network's bridge in
 * the node's namespace and whose inner end, inside `qdhcp-<network id>`, holds the
 * subnet's gateway address (so the gateway answers ping) where dnsmasq listens.
 */

/** Whether the namespace exists (`ip netns add` makes `/run/netns/<name>`). */
export function namespaceExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

/** Every qdhcp namespace on the machine, whoever made it: `ip netns list` reduced to names. */
export async function listQdhcpNamespaces(): Promise<string[]> {
  const out = await hostCommand('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name.startsWith('qdhcp-'));
}

async function linkExists(ip: IpCommand, device: string): Promise<boolean> {
  return ip(['link', 'show', 'dev', device]).then(
    () => true,
    () => false,
  );
}

/**
 * Makes (or completes) the network's qdhcp namespace on `bridge`, which `nodeIp` sees.
 * Each piece is checked first, so a second call, or one after a crash half-way, is safe.
 */
export async function plugQdhcp(
  nodeIp: IpCommand,
  network: { networkId: string; cidr: string; gateway: string },
  bridge: string,
): Promise<{ namespace: string; device: string }> {
  const namespace = qdhcpNamespace(network.networkId);
  const inner = dhcpInnerDevice(network.networkId);
  const outer = dhcpOuterDevice(network.networkId);
  const ns = ipIn(namespace);
  if (!namespaceExists(namespace)) await hostCommand('ip', ['netns', 'add', namespace]);
  if (!(await linkExists(ns, inner))) {
    // A stale outer end (its peer went with an earlier namespace) would block the new pair.
    if (await linkExists(nodeIp, outer)) await nodeIp(['link', 'del', outer]);
    await nodeIp(['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', namespace]);
  }
  await nodeIp(['link', 'set', outer, 'master', bridge, 'up']);
  const prefix = ipaddr.IPv4.parseCIDR(network.cidr)[1];
  await ns(['link', 'set', 'lo', 'up']);
  await ns(['addr', 'replace', `${network.gateway}/${prefix}`, 'dev', inner]);
  await ns(['link', 'set', inner, 'up']);
  return { namespace, device: inner };
}

/** Removes the namespace (its veth goes with it) and any stray outer end; missing pieces are fine. */
export async function unplugQdhcp(nodeIp: IpCommand, networkId: string): Promise<void> {
  const namespace = qdhcpNamespace(networkId);
  if (namespaceExists(namespace)) await hostCommand('ip', ['netns', 'del', namespace]);
  const outer = dhcpOuterDevice(networkId);
  if (await linkExists(nodeIp, outer)) await nodeIp(['link', 'del', outer]);
}
