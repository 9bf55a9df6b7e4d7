import type { HypervisorType } from '../../hypervisor/driver.js';
import { firstIpv4, ipRunner, type IpRunner } from '../linux/ip.js';
import { FakeVifDriver } from './fake-vif-driver.js';
import { probeVlanSupport } from '../linux/segment.js';
import { LinuxBridgeVifDriver } from './linuxbridge-vif-driver.js';
import type { VifDriver } from './vif-driver.js';

/** Where a host's segments leave it (the agent's --netns, --uplink, --underlay-ip, --physical-interface). */
export interface HostNetworkOptions {
  hypervisor: HypervisorType | string;
  /** The host's namespace; unset: the process's own (a production host). */
  netns?: string;
  /** Unset: the interface of the namespace's default route. */
  uplink?: string;
  /** Unset: the uplink's first IPv4 address. */
  underlayIp?: string;
  physical?: string;
  /** Whether this process may make devices (root); without it real guests get NICs wired to nothing. */
  privileged?: boolean;
}

/**
 * The VIF driver beside the hypervisor driver: real guests (qemu) get linuxbridge wiring,
 * the fake hypervisor the fake VIF driver. An unprivileged QEMU host cannot make taps: it
 * gets the fake too, and its guests' NICs connect to nothing (`reason` says so).
 */
export async function createVifDriver(opts: HostNetworkOptions): Promise<{ vifs: VifDriver; reason: string }> {
  const privileged = opts.privileged ?? process.getuid?.() === 0;
  if (opts.hypervisor !== 'qemu') return { vifs: new FakeVifDriver(), reason: 'fake hypervisor: fake VIF driver' };
  if (!privileged) return { vifs: new FakeVifDriver(), reason: 'not root: no taps or bridges, NICs wired to nothing' };
  const ip = ipRunner(opts.netns);
  const uplink = opts.uplink ?? (await defaultRouteDevice(ip));
  const localIp = opts.underlayIp ?? (await firstIpv4(ip, uplink));
  const vifs = new LinuxBridgeVifDriver({ ip, uplink, localIp: localIp ?? undefined, physical: opts.physical });
  // Probed once here, so the agent's start says how this host carries VLAN networks.
  const vlan = (await probeVlanSupport(ip)) ? '8021q' : 'VXLAN with VNI = VLAN id (no 8021q)';
  const where = `${opts.netns ?? 'the host namespace'} over ${uplink} (${localIp ?? '-'})`;
  return { vifs, reason: `linuxbridge in ${where}; VLAN networks as ${vlan}` };
}

export async function defaultRouteDevice(ip: IpRunner): Promise<string> {
  const [route] = await ip.json<Array<{ dev?: string }>>(['route', 'show', 'default']);
  if (!route?.dev) throw new Error(`no default route in ${ip.netns ?? 'the host namespace'}: give --uplink`);
  return route.dev;
}
