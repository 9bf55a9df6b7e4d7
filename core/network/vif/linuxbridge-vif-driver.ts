import type { OperationOptions } from '../../hypervisor/driver.js';
import { KeyedMutex } from '../../hypervisor/keyed-mutex.js';
import { isAlreadyThere, type IpRunner } from '../linux/ip.js';
import { deleteLink, ensureSegment, linkKind, removeBridge } from '../linux/segment.js';
import { bridgeName } from '../port-binding.js';
import { checkBinding } from './fake-vif-driver.js';
import type { HostVif, VifDriver, VifPlugRequest } from './vif-driver.js';

/** Where this host's segments leave it: the machine's underlay (fabric.ts in the dev stack). */
export interface LinuxBridgeOptions {
  /** `ip` in the host's namespace (the dev stack's `nimbus-<host>`), or in the process's own. */
  ip: IpRunner;
  uplink: string;
  localIp?: string;
  /** Flat networks' interface (default: the uplink). */
  physical?: string;
}

/**
 * Neutron's linuxbridge agent with os-vif's plug, for real guests: a bridge per network
 * with its segment (linux/segment.ts) on each host that has a port on it, and a tap per
 * port on that bridge, made persistent here so QEMU opens it by name (`-netdev tap,
 * ifname=...` or `netdev_add`). Unplug removes the tap, and the bridge with its segment
 * device when no tap is left on it. Plugs and unplugs of one bridge run one at a time, so
 * a last unplug never removes a bridge a concurrent plug just put a tap on.
 */
export class LinuxBridgeVifDriver implements VifDriver {
  private readonly bridges = new KeyedMutex();

  constructor(private readonly opts: LinuxBridgeOptions) {}

  get netns(): string | null {
    return this.opts.ip.netns;
  }

  async plug(req: VifPlugRequest, opts: OperationOptions = {}): Promise<HostVif> {
    opts.signal?.throwIfAborted();
    const { vifType, details } = checkBinding(req.binding);
    const { ip } = this.opts;
    const bridge = vifType === 'bridge' ? details.bridge : null;
    const io = { signal: opts.signal };
    const plugTap = async () => {
      if (bridge) {
        const { uplink, localIp, physical } = this.opts;
        const networkId = req.networkId ?? bridge.slice(3);
        if (bridgeName(networkId) !== bridge) throw new Error(`binding bridge ${bridge} is not network ${networkId}'s`);
        await ensureSegment(ip, { networkId, segmentation: details.segmentation, uplink, localIp, physical }, io);
      }
      if (!(await ip.link(details.tapDevice, io))) {
        await ip.run(['tuntap', 'add', 'dev', details.tapDevice, 'mode', 'tap'], io).catch((err) => {
          if (!isAlreadyThere(err)) throw err;
        });
      }
      // Neutron's MAC for the host end: fe + the guest's, so the bridge never learns the guest's MAC on the tap's side.
      const master = bridge ? ['master', bridge] : ['nomaster'];
      await ip.run(['link', 'set', details.tapDevice, 'address', hostEndMac(req.mac), ...master, 'up'], io);
    };
    await this.bridges.run(bridge ?? '', plugTap, opts.signal);
    return { portId: req.portId, vifType, tapDevice: details.tapDevice, bridge };
  }

  async unplug(vif: Pick<HostVif, 'portId' | 'tapDevice' | 'bridge'>, opts: OperationOptions = {}): Promise<void> {
    opts.signal?.throwIfAborted();
    const bridge = vif.bridge;
    const io = { signal: opts.signal };
    await this.bridges.run(
      bridge ?? '',
      async () => {
        await deleteLink(this.opts.ip, vif.tapDevice, io);
        if (bridge) await this.removeIfNoTap(bridge, io);
      },
      opts.signal,
    );
  }

  /** Under the bridge's turn: a bridge that has a tap again (a plug came in between) stays. */
  private async removeIfNoTap(bridge: string, io: { signal?: AbortSignal }): Promise<void> {
    const taps = (await this.opts.ip.links(io)).filter((l) => l.master === bridge && linkKind(l) === 'tun');
    if (taps.length === 0) await removeBridge(this.opts.ip, bridge, io);
  }

  /** The host's `brq` bridges with their taps, and its bare `tap` devices under ''. */
  devices(): Promise<Record<string, string[]>> {
    return hostVifDevices(this.opts.ip);
  }

  /**
   * Removes a leftover (reconciliation): a tap, or a bridge with its segment device unless a
   * plug put a tap on it since the leftovers were listed.
   */
  async remove(device: string): Promise<void> {
    if (device.startsWith('brq')) await this.bridges.run(device, () => this.removeIfNoTap(device, {}));
    else await deleteLink(this.opts.ip, device);
  }
}

/** A host's `brq` bridges with their taps, and its bare `tap` devices under '', sorted. */
export async function hostVifDevices(ip: IpRunner): Promise<Record<string, string[]>> {
  const links = await ip.links();
  const out: Record<string, string[]> = {};
  for (const l of links) {
    if (linkKind(l) === 'bridge' && l.ifname.startsWith('brq')) out[l.ifname] ??= [];
  }
  for (const l of links) {
    if (linkKind(l) !== 'tun' || !l.ifname.startsWith('tap')) continue;
    const key = l.master && out[l.master] ? l.master : '';
    (out[key] ??= []).push(l.ifname);
  }
  for (const taps of Object.values(out)) taps.sort();
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Neutron's host-side tap MAC: the guest's with its first octet fe. */
export function hostEndMac(mac: string): string {
  return `fe${mac.slice(2)}`;
}
