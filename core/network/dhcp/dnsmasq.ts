import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ipaddr from 'ipaddr.js';
import type { DhcpNetwork, DhcpReservation } from './dhcp-driver.js';
import { ipRunner } from '../linux/ip.js';

/**
 * One dnsmasq per network, as Neutron's DHCP agent runs it: DHCP only (`--port=0`, no
 * DNS), bound to the qdhcp namespace's interface, a `static` range so it answers only
 * MACs listed in its hosts file, the gateway as router option. It daemonizes and writes
 * its pid file, so it outlives a restart of the network node (which finds it again by that
 * file) and re-reads its hosts file on SIGHUP.
 */

/** Lease time offered to guests: an hour, Neutron's order of magnitude (its default is a day). */
export const DHCP_LEASE_SECONDS = 3600;

/** A network's files under the node's state dir: `<stateDir>/<network id>/`. */
export interface DnsmasqFiles {
  dir: string;
  hostsFile: string;
  pidFile: string;
  leaseFile: string;
  logFile: string;
}

export function dnsmasqFiles(stateDir: string, networkId: string): DnsmasqFiles {
  const dir = path.join(stateDir, networkId);
  return {
    dir,
    hostsFile: path.join(dir, 'hosts'),
    pidFile: path.join(dir, 'pid'),
    leaseFile: path.join(dir, 'leases'),
    logFile: path.join(dir, 'dnsmasq.log'),
  };
}

/** `--dhcp-hostsfile` lines: `MAC,IP`, one per reservation, sorted so a rewrite is stable. */
export function hostsFileText(reservations: DhcpReservation[]): string {
  return reservations
    .map((r) => `${r.mac.toLowerCase()},${r.ip}\n`)
    .sort()
    .join('');
}

export function dnsmasqArgs(network: DhcpNetwork, device: string, files: DnsmasqFiles): string[] {
  const [address, prefix] = ipaddr.IPv4.parseCIDR(network.cidr);
  const mask = ipaddr.IPv4.subnetMaskFromPrefixLength(prefix).toString();
  return [
    '--conf-file=/dev/null',
    '--no-hosts',
    '--no-resolv',
    '--port=0',
    `--interface=${device}`,
    '--except-interface=lo',
    '--bind-interfaces',
    `--dhcp-range=set:net,${address.toString()},static,${mask},${DHCP_LEASE_SECONDS}s`,
    `--dhcp-option=tag:net,option:router,${network.gateway}`,
    // Only reserved MACs get an answer; a reply to anyone else would hand out an unknown address.
    '--dhcp-ignore=tag:!known',
    '--dhcp-authoritative',
    `--dhcp-hostsfile=${files.hostsFile}`,
    `--dhcp-leasefile=${files.leaseFile}`,
    `--pid-file=${files.pidFile}`,
    `--log-facility=${files.logFile}`,
    '--log-dhcp',
    // Root keeps the state dir readable on SIGHUP whatever its permissions.
    '--user=root',
    '--group=root',
  ];
}

/** Starts the network's dnsmasq inside its namespace; it daemonizes once its pid file is written. */
export async function startDnsmasq(namespace: string, args: string[]): Promise<void> {
  await ipRunner().run(['netns', 'exec', namespace, 'dnsmasq', ...args]);
}

/** The pid in the pid file when that process is a dnsmasq using this pid file, else null. */
export async function runningDnsmasq(pidFile: string): Promise<number | null> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 1) return null;
  return (await isDnsmasqOf(pid, pidFile)) ? pid : null;
}

async function isDnsmasqOf(pid: number, pidFile: string): Promise<boolean> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  return path.basename(argv[0] ?? '') === 'dnsmasq' && argv.includes(`--pid-file=${pidFile}`);
}

/** SIGHUP: dnsmasq re-reads its hosts file (reservations added or removed). */
export function reloadDnsmasq(pid: number): void {
  process.kill(pid, 'SIGHUP');
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
export async function stopDnsmasq(pid: number, pidFile: string): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 5000;
  while (await isDnsmasqOf(pid, pidFile)) {
    if (Date.now() > deadline) signal('SIGKILL');
    await sleep(20);
  }
}
