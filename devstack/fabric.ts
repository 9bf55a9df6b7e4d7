import { createHash } from 'node:crypto';
import { ensureNetns, firstIpv4, ipRunner, listNetns, removeNetns, type IpRunner } from '../core/network/linux/ip.js';

/**
 * Hosts as machines: the dev stack puts each compute host (and the network node) in its own
 * network namespace `<prefix><name>`, wired like separate machines in a rack. The fabric is a
 * namespace `<prefix>fabric` holding two switches: `underlay` (the machines' uplinks, with
 * an address each: VXLAN and VLAN segments ride on it) and `physnet` (a second, addressless
 * NIC per machine that flat networks bridge as is, as Neutron's physical_interface_mappings).
 * The prefix is per stack (NIMBUS_NETNS_PREFIX, default `nimbus-`), so a test stack and a
 * running dev stack never share a namespace; everything lives in namespaces, so removing
 * them removes every device.
 *
 *   const fabric = await createFabric('nimbus-');
 *   const m = await fabric.joinFabric('node-1');
 *   // → { netns: 'nimbus-node-1', uplink: 'uplink', underlayIp: '172.31.0.2', physical: 'physnet' }
 * Machines join one at a time (an address is the lowest free one).
 *   await fabric.destroy();
 */

export const DEFAULT_NETNS_PREFIX = 'nimbus-';
/** The uplink's MTU: a 1500-byte guest frame plus VXLAN's 50 bytes fits. */
export const UNDERLAY_MTU = 1600;
/** The underlay's addresses: machine n gets .n+1 (the fabric's own .1 is unused but reserved). */
const UNDERLAY_NET = '172.31.0';
const UNDERLAY_PREFIX_LEN = 24;

/** A machine on the fabric: what its agent needs to wire segments (flags/env of the agent). */
export interface Machine {
  name: string;
  netns: string;
  /** The underlay interface inside the machine's namespace. */
  uplink: string;
  underlayIp: string;
  /** The flat-network interface inside the machine's namespace. */
  physical: string;
}

export interface Fabric {
  readonly prefix: string;
  readonly netns: string;
  /** Gives the machine a namespace with an uplink and a physnet NIC; a joined machine is returned as it is. */
  joinFabric(name: string): Promise<Machine>;
  /** Removes the machine's namespace (its devices go with it). */
  leaveFabric(name: string): Promise<void>;
  /** Removes every namespace of the prefix: the machines, then the fabric. */
  destroy(): Promise<void>;
}

/** The machine's namespace name; checked to be a name `ip netns` takes. */
export function machineNetns(prefix: string, name: string): string {
  const netns = `${prefix}${name}`;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(netns)) throw new Error(`${netns} is not a usable namespace name`);
  return netns;
}

/** A port name on the fabric's switches, unique per machine, within 15 characters. */
const portName = (kind: 'u' | 'p', name: string) =>
  `${kind}-${createHash('sha1').update(name).digest('hex').slice(0, 12)}`;

/** Makes (or finds) the fabric of `prefix`: its namespace with both switches up. */
export async function createFabric(prefix = DEFAULT_NETNS_PREFIX): Promise<Fabric> {
  const netns = machineNetns(prefix, 'fabric');
  const fab = await ensureNetns(netns);
  for (const sw of ['underlay', 'physnet']) {
    if (!(await fab.link(sw))) await fab.run(['link', 'add', sw, 'type', 'bridge', 'forward_delay', '0']);
    await fab.run(['link', 'set', sw, 'mtu', String(UNDERLAY_MTU), 'up']);
  }
  const fabric: Fabric = {
    prefix,
    netns,
    async joinFabric(name) {
      const machine = machineNetns(prefix, name);
      const ip = await ensureNetns(machine);
      await plugMachine(fab, ip, portName('u', name), 'uplink', 'underlay');
      await plugMachine(fab, ip, portName('p', name), 'physnet', 'physnet');
      const underlayIp = (await firstIpv4(ip, 'uplink')) ?? (await assignUnderlayIp(prefix, ip));
      return { name, netns: machine, uplink: 'uplink', underlayIp, physical: 'physnet' };
    },
    leaveFabric: async (name) => removeNetns(machineNetns(prefix, name)),
    async destroy() {
      const all = (await listNetns()).filter((n) => n.startsWith(prefix) && n !== netns);
      for (const n of all) await removeNetns(n);
      await removeNetns(netns);
    },
  };
  return fabric;
}

/** A veth from the fabric's switch `sw` into the machine, named `inside` there, both ends up. */
async function plugMachine(fab: IpRunner, ip: IpRunner, outside: string, inside: string, sw: string): Promise<void> {
  if (!(await ip.link(inside))) {
    await fab.run(['link', 'del', outside]).catch(() => undefined);
    await fab.run(['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', ip.netns!]);
  }
  await fab.run(['link', 'set', outside, 'master', sw, 'mtu', String(UNDERLAY_MTU), 'up']);
  await ip.run(['link', 'set', inside, 'mtu', String(UNDERLAY_MTU), 'up']);
}

/** The lowest underlay address no machine of this fabric holds. */
async function assignUnderlayIp(prefix: string, ip: IpRunner): Promise<string> {
  const machines = (await listNetns()).filter((n) => n.startsWith(prefix) && n !== ip.netns);
  const taken = new Set<string>();
  for (const n of machines) {
    const addr = await firstIpv4(ipRunner(n), 'uplink').catch(() => null);
    if (addr) taken.add(addr);
  }
  for (let host = 2; host < 255; host++) {
    const addr = `${UNDERLAY_NET}.${host}`;
    if (taken.has(addr)) continue;
    await ip.run(['addr', 'add', `${addr}/${UNDERLAY_PREFIX_LEN}`, 'dev', 'uplink']);
    return addr;
  }
  throw new Error(`the underlay ${UNDERLAY_NET}.0/${UNDERLAY_PREFIX_LEN} of ${prefix} is full`);
}

/** The dev stack's machines: the fabric and each agent's environment (devstack/stack.ts). */
export interface StackMachines {
  fabric: Fabric;
  /** Per host: NIMBUS_NETNS, NIMBUS_UPLINK, NIMBUS_UNDERLAY_IP, NIMBUS_PHYSICAL_INTERFACE. */
  env: Record<string, Record<string, string>>;
}

/**
 * With QEMU as root, each compute host becomes a machine (one at a time: addresses are the
 * lowest free); otherwise null, and the agents share this machine's namespace as before.
 */
export async function startMachines(
  opts: { hypervisor: string; prefix: string; agents: string[] },
  isRoot = process.getuid?.() === 0,
): Promise<StackMachines | null> {
  if (opts.hypervisor !== 'qemu' || !isRoot || opts.agents.length === 0) return null;
  const fabric = await createFabric(opts.prefix);
  const env: StackMachines['env'] = {};
  for (const host of opts.agents) {
    const m = await fabric.joinFabric(host);
    env[host] = {
      NIMBUS_NETNS: m.netns,
      NIMBUS_UPLINK: m.uplink,
      NIMBUS_UNDERLAY_IP: m.underlayIp,
      NIMBUS_PHYSICAL_INTERFACE: m.physical,
    };
  }
  return { fabric, env };
}
