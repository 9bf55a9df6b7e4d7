import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../images/atomic-write.js';
import { KeyedMutex } from '../../hypervisor/keyed-mutex.js';
import { ipRunner, type IpRunner } from '../linux/ip.js';
import {
  withReservation,
  type DhcpDriver,
  type DhcpNetwork,
  type DhcpReservation,
  type ServedNetwork,
} from './dhcp-driver.js';
import {
  dnsmasqArgs,
  dnsmasqFiles,
  hostsFileText,
  reloadDnsmasq,
  runningDnsmasq,
  startDnsmasq,
  stopDnsmasq,
} from './dnsmasq.js';
import { plugQdhcp, unplugQdhcp } from './qdhcp-namespace.js';

/**
 * Where the network's segment ends on this node: its bridge, made with the segment's
 * VXLAN (or flat uplink) when missing, and removed when the node serves the network no more.
 */
export interface DhcpSegments {
  ensure(network: DhcpNetwork): Promise<{ bridge: string }>;
  remove(network: DhcpNetwork): Promise<void>;
}

export interface LinuxDhcpOptions {
  /** `<stateDir>/<network id>/`: state.json (the truth), hosts, pid, leases, log. */
  stateDir: string;
  /** The node's machine namespace, where the bridges are; unset: the process's own. */
  netns?: string;
  segments: DhcpSegments;
}

const STATE = 'state.json';

/**
 * The real DHCP driver: qdhcp namespace + dnsmasq per network. The state file is written
 * before anything is made, so a crash at any point leaves a network reconciliation finds.
 * Operations on one network run one at a time.
 */
export class LinuxDhcpDriver implements DhcpDriver {
  private readonly lock = new KeyedMutex();
  private readonly ip: IpRunner;

  constructor(private readonly opts: LinuxDhcpOptions) {
    this.ip = ipRunner(opts.netns);
  }

  addReservation(network: DhcpNetwork, reservation: DhcpReservation): Promise<void> {
    return this.lock.run(network.networkId, async () => {
      const served = (await this.read(network.networkId)) ?? { network, reservations: [] };
      await this.serve({ network, reservations: withReservation(served.reservations, reservation) });
    });
  }

  removeReservation(networkId: string, portId: string): Promise<void> {
    return this.lock.run(networkId, async () => {
      const served = await this.read(networkId);
      if (!served) return;
      const reservations = served.reservations.filter((r) => r.portId !== portId);
      if (reservations.length === 0) await this.teardown(networkId, served.network);
      else await this.serve({ network: served.network, reservations });
    });
  }

  removeNetwork(networkId: string): Promise<void> {
    return this.lock.run(networkId, async () => {
      await this.teardown(networkId, (await this.read(networkId))?.network);
    });
  }

  listNetworks(): Promise<ServedNetwork[]> {
    return readServedNetworks(this.opts.stateDir);
  }

  private read(networkId: string): Promise<ServedNetwork | null> {
    return readServedNetwork(this.opts.stateDir, networkId);
  }

  /** Writes the state and hosts file, then makes whatever is missing and has dnsmasq read the hosts again. */
  private async serve(served: ServedNetwork): Promise<void> {
    const { network } = served;
    const files = dnsmasqFiles(this.opts.stateDir, network.networkId);
    await mkdir(files.dir, { recursive: true });
    await writeJsonAtomic(path.join(files.dir, STATE), served);
    await writeFileAtomic(files.hostsFile, hostsFileText(served.reservations));
    const { bridge } = await this.opts.segments.ensure(network);
    const { namespace, device } = await plugQdhcp(this.ip, network, bridge);
    const pid = await runningDnsmasq(files.pidFile);
    if (pid) reloadDnsmasq(pid);
    else await startDnsmasq(namespace, dnsmasqArgs(network, device, files));
  }

  /** dnsmasq, then the namespace, the segment's end on this node, and the state last. */
  private async teardown(networkId: string, network: DhcpNetwork | undefined): Promise<void> {
    const files = dnsmasqFiles(this.opts.stateDir, networkId);
    const pid = await runningDnsmasq(files.pidFile);
    if (pid) await stopDnsmasq(pid, files.pidFile);
    await unplugQdhcp(this.ip, networkId);
    if (network) await this.opts.segments.remove(network);
    await rm(files.dir, { recursive: true, force: true });
  }
}

/** The networks a node's state dir records (what its invariant check and reconciliation read). */
export async function readServedNetworks(stateDir: string): Promise<ServedNetwork[]> {
  const ids = await readdir(stateDir).catch(() => [] as string[]);
  const served = await Promise.all(ids.map((id) => readServedNetwork(stateDir, id)));
  return served.filter((s): s is ServedNetwork => s !== null);
}

/** The network's state as last written, or null when the node does not serve it. */
async function readServedNetwork(stateDir: string, networkId: string): Promise<ServedNetwork | null> {
  const text = await readFile(path.join(dnsmasqFiles(stateDir, networkId).dir, STATE), 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as ServedNetwork);
}
