import path from 'node:path';
import { firstIpv4, ipRunner } from '../linux/ip.js';
import { defaultRouteDevice, type HostNetworkOptions } from '../vif/vif-driver-factory.js';
import { ensureSegment, removeSegment } from '../linux/segment.js';
import type { DhcpDriver } from './dhcp-driver.js';
import { FakeDhcpDriver } from './fake-dhcp-driver.js';
import { LinuxDhcpDriver, type DhcpSegments } from './linux-dhcp-driver.js';

/** Where the network node's segments arrive (its --netns, --uplink, --underlay-ip, --physical-interface). */
export interface NetworkNodeOptions extends HostNetworkOptions {
  /** `<stateDir>/<network id>/`: each network's state, hosts file, pid file and leases. */
  stateDir: string;
}

/**
 * The DHCP driver beside the compute hosts' VIF driver: real guests (qemu) get dnsmasq in
 * qdhcp namespaces, the fake data plane the in-memory fake. Without root no namespace can
 * be made: the fake then, and `reason` says why.
 */
export async function createDhcpDriver(opts: NetworkNodeOptions): Promise<{ dhcp: DhcpDriver; reason: string }> {
  const privileged = opts.privileged ?? process.getuid?.() === 0;
  if (opts.hypervisor !== 'qemu') return { dhcp: new FakeDhcpDriver(), reason: 'fake hypervisor: fake DHCP' };
  if (!privileged) return { dhcp: new FakeDhcpDriver(), reason: 'not root: no qdhcp namespaces, fake DHCP' };
  const ip = ipRunner(opts.netns);
  const uplink = opts.uplink ?? (await defaultRouteDevice(ip));
  const localIp = opts.underlayIp ?? (await firstIpv4(ip, uplink)) ?? undefined;
  const segments: DhcpSegments = {
    ensure: (n) =>
      ensureSegment(ip, {
        networkId: n.networkId,
        segmentation: n.segmentation,
        uplink,
        localIp,
        physical: opts.physical,
      }),
    remove: (n) => removeSegment(ip, n.networkId),
  };
  const dhcp = new LinuxDhcpDriver({ stateDir: path.resolve(opts.stateDir), netns: opts.netns, segments });
  return {
    dhcp,
    reason: `dnsmasq in qdhcp namespaces, segments in ${opts.netns ?? 'the host namespace'} over ${uplink}`,
  };
}

/**
 * Stops every network a node's state dir records: dnsmasq, qdhcp namespace, state (the
 * teardown of a throw-away stack; its machines' namespaces take the segments with them).
 */
export async function removeAllDhcp(stateDir: string): Promise<void> {
  const segments: DhcpSegments = {
    ensure: () => Promise.reject(new Error('the DHCP state is being removed')),
    remove: () => Promise.resolve(),
  };
  const driver = new LinuxDhcpDriver({ stateDir, segments });
  for (const served of await driver.listNetworks()) await driver.removeNetwork(served.network.networkId);
}
