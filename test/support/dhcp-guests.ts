import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * Fake guests for DHCP tests: a namespace with a veth into a bridge and busybox's udhcpc,
 * the same client a cirros-like guest runs. Needs root, iproute2, dnsmasq and busybox.
 */

const anyOf = (...paths: string[]) => paths.some((p) => existsSync(p));
export const hasDhcpTools =
  process.getuid?.() === 0 &&
  anyOf('/usr/sbin/dnsmasq', '/sbin/dnsmasq') &&
  anyOf('/usr/bin/busybox', '/bin/busybox') &&
  anyOf('/usr/sbin/ip', '/sbin/ip', '/bin/ip');

/** Under CI=true the tools are required (.ci/run installs them); elsewhere their absence skips. */
export function dhcpSkip(): string | false {
  if (hasDhcpTools) return false;
  assert.notEqual(process.env.CI, 'true', 'CI=true: the DHCP tests need root, dnsmasq, busybox and iproute2');
  return 'needs root, dnsmasq, busybox-static and iproute2';
}

export async function sh(cmd: string, args: string[]): Promise<string> {
  return (await exec(cmd, args, { timeout: 60_000 })).stdout;
}

export const ipn = (netns: string, ...args: string[]) => sh('ip', ['-n', netns, ...args]);

/** A short random suffix: interface names stay within 15 characters. */
export const suffix = () => randomBytes(3).toString('hex');

export interface FakeGuest {
  netns: string;
  mac: string;
  /** Runs udhcpc once (3 tries, 1 s apart); the leased IP and router, or null when nobody answered. */
  dhcp(): Promise<{ ip: string; router: string } | null>;
  remove(): Promise<void>;
}

/** A guest namespace whose eth0 (with `mac`) is on `bridge` in `nodeNs`. */
export async function fakeGuest(nodeNs: string, bridge: string, mac: string, dir: string): Promise<FakeGuest> {
  const id = suffix();
  const netns = `nimbus-tg-${id}`;
  const outer = `tg${id}`;
  await sh('ip', ['netns', 'add', netns]);
  await ipn(nodeNs, 'link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
  await ipn(nodeNs, 'link', 'set', outer, 'master', bridge, 'up');
  await ipn(netns, 'link', 'set', 'eth0', 'address', mac, 'up');
  // udhcpc hands the lease to a script: this one only prints it.
  const script = path.join(dir, `udhcpc-${id}.sh`);
  await writeFile(script, '#!/bin/sh\n[ "$1" = bound ] && echo "LEASE $ip $router"\nexit 0\n', { mode: 0o755 });
  return {
    netns,
    mac,
    async dhcp() {
      const args = ['netns', 'exec', netns, 'busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-f'];
      const out = await sh('ip', [...args, '-t', '3', '-T', '1', '-A', '1', '-s', script]).catch(
        (err: { stdout?: string }) => err.stdout ?? '',
      );
      const m = /LEASE (\S+) (\S*)/.exec(out);
      return m ? { ip: m[1], router: m[2] } : null;
    },
    async remove() {
      await sh('ip', ['netns', 'del', netns]).catch(() => undefined);
      await ipn(nodeNs, 'link', 'del', outer).catch(() => undefined);
    },
  };
}
