import type { Segmentation } from '../../../contracts/network.js';
import { DriverCodes } from '../../../contracts/errors.js';
import { DomainError } from '../../errors.js';
import { bridgeName } from '../port-binding.js';
import { isAlreadyThere, isMissingDevice, type IpLink, type IpRunner } from './ip.js';

/**
 * A network's segment on one machine, as Neutron's linuxbridge agent wires it: a bridge per
 * network (`brq` + network id prefix) whose one non-tap port carries the segment off the
 * machine over its uplink:
 *  - vxlan: `vxlan-<VNI>`, multicast `group` mode over the uplink (measured here: no peer
 *    lists to keep, every machine of the underlay that joins the VNI hears the floods);
 *  - vlan: an 8021q sub-interface `vlan-<id>` of the uplink when the kernel has `type vlan`
 *    (probed once per process), else VXLAN with VNI = VLAN id, the fallback this kernel needs;
 *  - flat: the physical interface itself (the uplink unless another is given) in the bridge.
 * Exports, for the VIF driver and the network node (qdhcp- namespaces) alike:
 *   ensureSegment(ip, { networkId, segmentation, uplink, localIp? }) → { bridge, segmentDevice }
 *   removeSegment(ip, networkId)   the bridge and its segment device (taps left bare)
 *   removeBridge(ip, bridge)       the same by bridge name (reconciliation knows only names)
 *   segmentDeviceName(seg, vlan)   the device name a segmentation gets
 * Every call is idempotent; names stay within IFNAMSIZ (15).
 */

export interface SegmentRequest {
  networkId: string;
  segmentation: Segmentation;
  /** The machine's underlay interface: VXLAN and VLAN segments ride on it. */
  uplink: string;
  /** The machine's underlay address: VXLAN's `local`, so replies leave from it. */
  localIp?: string;
  /** Flat networks: the interface bridged as is (default: the uplink). */
  physical?: string;
  /** The multicast group of VXLAN floods (Neutron's `vxlan_group`). */
  vxlanGroup?: string;
}

export interface Segment {
  bridge: string;
  /** The bridge's port that carries the segment off the machine. */
  segmentDevice: string;
}

/** Default multicast group of VXLAN floods (administratively scoped). */
export const VXLAN_GROUP = '239.1.1.1';
/** IANA's VXLAN port. */
export const VXLAN_PORT = 4789;

const segmentInvalid = (message: string) => new DomainError(DriverCodes.VifBindingInvalid, message);

/** The segment device a segmentation gets on a machine (`vlanSupported`: the kernel has 8021q). */
export function segmentDeviceName(seg: Segmentation, vlanSupported: boolean, physical = ''): string {
  if (seg.type === 'flat') return physical;
  if (seg.type === 'vlan' && vlanSupported) return `vlan-${seg.id}`;
  return `vxlan-${seg.id}`;
}

let vlanProbe: Promise<boolean> | undefined;

/**
 * Whether the kernel makes 8021q sub-interfaces: a veth pair with a VLAN on it, made and
 * removed in the runner's namespace. Once per process (the kernel does not change under it).
 */
export function probeVlanSupport(ip: IpRunner): Promise<boolean> {
  vlanProbe ??= (async () => {
    const [a, b, v] = [`nvp${process.pid % 100000}a`, `nvp${process.pid % 100000}b`, `nvp${process.pid % 100000}v`];
    await ip.run(['link', 'del', a]).catch(() => undefined);
    try {
      await ip.run(['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      await ip.run(['link', 'add', 'link', a, 'name', v, 'type', 'vlan', 'id', '2']);
      return true;
    } catch {
      return false;
    } finally {
      await ip.run(['link', 'del', a]).catch(() => undefined);
    }
  })();
  return vlanProbe;
}

/** Makes (or finds) the network's bridge with its segment device, both up. */
export async function ensureSegment(
  ip: IpRunner,
  req: SegmentRequest,
  opts: { signal?: AbortSignal } = {},
): Promise<Segment> {
  const bridge = bridgeName(req.networkId);
  const seg = req.segmentation;
  const physical = req.physical ?? req.uplink;
  const vlan = seg.type === 'vlan' && (await probeVlanSupport(ip));
  const segmentDevice = segmentDeviceName(seg, vlan, physical);
  const bridgeUp = isUp(await ensureLink(ip, bridge, ['type', 'bridge', 'forward_delay', '0'], opts));
  const existing = await ip.link(segmentDevice, opts);
  // A VNI (or VLAN, or physical interface) is one network's: carrying two would join them.
  if (existing?.master && existing.master !== bridge) {
    throw segmentInvalid(`${segmentDevice} already carries the segment of bridge ${existing.master}, not ${bridge}`);
  }
  if (!existing) {
    if (seg.type === 'flat') throw segmentInvalid(`flat network: no interface ${physical} on this machine`);
    const spec = vlan
      ? ['link', req.uplink, 'name', segmentDevice, 'type', 'vlan', 'id', String(seg.id)]
      : [
          ...['name', segmentDevice, 'type', 'vxlan', 'id', String(seg.id)],
          ...['group', req.vxlanGroup ?? VXLAN_GROUP, 'dev', req.uplink, 'dstport', String(VXLAN_PORT), 'ttl', '1'],
          ...(req.localIp ? ['local', req.localIp] : []),
        ];
    await ip.run(['link', 'add', ...spec], opts).catch((err) => {
      if (!isAlreadyThere(err)) throw err;
    });
  }
  // The common case (a second port of the network here) finds both in place and up: no more `ip` runs.
  if (existing?.master !== bridge || !isUp(existing)) {
    await ip.run(['link', 'set', segmentDevice, 'master', bridge, 'up'], opts);
  }
  if (!bridgeUp) await ip.run(['link', 'set', bridge, 'up'], opts);
  return { bridge, segmentDevice };
}

/** Makes a link unless one by that name exists (a retry, or a concurrent plug got there first); the existing one. */
async function ensureLink(ip: IpRunner, name: string, spec: string[], opts: { signal?: AbortSignal }) {
  const found = await ip.link(name, opts);
  if (found) return found;
  await ip.run(['link', 'add', name, ...spec], opts).catch((err) => {
    if (!isAlreadyThere(err)) throw err;
  });
  return null;
}

/** Administratively up (`ip link set … up` was done), whatever the carrier. */
function isUp(link: IpLink | null | undefined): boolean {
  return link?.flags?.includes('UP') ?? false;
}

/** Removes the network's bridge and its segment device; a missing one is a no-op. */
export function removeSegment(ip: IpRunner, networkId: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  return removeBridge(ip, bridgeName(networkId), opts);
}

/**
 * Removes a bridge: its VXLAN or VLAN device goes with it, a physical interface (flat) is
 * only released, and taps still on it are left bare (their owner removes them).
 */
export async function removeBridge(ip: IpRunner, bridge: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const links = await ip.links(opts);
  for (const port of links.filter((l) => l.master === bridge)) {
    const kind = linkKind(port);
    if (kind === 'vxlan' || kind === 'vlan') await deleteLink(ip, port.ifname, opts);
    else if (kind !== 'tun') await ip.run(['link', 'set', port.ifname, 'nomaster'], opts).catch(ignoreMissing);
  }
  await deleteLink(ip, bridge, opts);
}

/** `ip link del`; a missing link is a no-op. */
export async function deleteLink(ip: IpRunner, name: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  await ip.run(['link', 'del', name], opts).catch(ignoreMissing);
}

/** The link's kind as `ip -d link` reports it (bridge, vxlan, vlan, tun, veth), '' when plain. */
export function linkKind(link: IpLink): string {
  return link.linkinfo?.info_kind ?? '';
}

function ignoreMissing(err: unknown): void {
  if (!isMissingDevice(err)) throw err;
}
