import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ipRunner, removeNetns } from '../../core/network/linux/ip.js';

/**
 * The network node's dnsmasq daemons of test stacks whose data dir is gone (a test file
 * killed before its stack stopped) outlive them, each holding its qdhcp namespace: stopped
 * and removed, so runs on one machine do not pile them up. A running stack's stay.
 */
export async function removeStaleDhcp(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const testDir = new RegExp(`^--pid-file=(${escape(os.tmpdir())}/nimbus-test-[^/]+)/`);
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (path.basename(argv[0] ?? '') !== 'dnsmasq') continue;
    const dataDir = argv.map((a) => testDir.exec(a)?.[1]).find(Boolean);
    if (!dataDir || existsSync(dataDir)) continue;
    const netns = (
      await ipRunner()
        .run(['netns', 'identify', pid])
        .catch(() => '')
    ).trim();
    process.kill(Number(pid), 'SIGKILL');
    if (netns.startsWith('qdhcp-')) await removeNetns(netns).catch(() => undefined);
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
