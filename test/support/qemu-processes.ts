import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The QEMU guests of one stack, as the host's `/proc` shows them, for the leak checker
 * (test/support/invariants.ts). Several stacks (and `npm start`) may run guests on one
 * machine, so a process counts only when its `-pidfile` lies in this stack's node folders:
 * `<dataDir>/nodes/<host>/qemu/instances/<id>/qemu.pid` (core/hypervisor/qemu/instance-files.ts).
 */

export interface ProcessEntry {
  pid: number;
  argv: string[];
}

/** Every process's command line from `/proc/<pid>/cmdline` (a zombie's is empty, and skipped). */
export async function listProcesses(): Promise<ProcessEntry[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const found: ProcessEntry[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline === '') continue;
    found.push({ pid: Number(entry), argv: cmdline.replace(/\0$/, '').split('\0') });
  }
  return found;
}

/** A QEMU guest of a stack: its host, its instance (`-uuid`) and its pid. */
export interface QemuGuest {
  host: string;
  instanceId: string;
  pid: number;
}

const optionValue = (argv: string[], name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at > 0 ? argv[at + 1] : undefined;
};

/** The `qemu-system-*` processes among `processes` whose pidfile is under `<dataDir>/nodes/<host>/qemu/`. */
export function qemuGuestsOf(processes: readonly ProcessEntry[], dataDir: string): QemuGuest[] {
  const nodes = path.join(path.resolve(dataDir), 'nodes') + path.sep;
  const guests: QemuGuest[] = [];
  for (const { pid, argv } of processes) {
    if (!path.basename(argv[0] ?? '').startsWith('qemu-system-')) continue;
    const instanceId = optionValue(argv, '-uuid');
    const pidfile = optionValue(argv, '-pidfile');
    if (!instanceId || !pidfile || !path.resolve(pidfile).startsWith(nodes)) continue;
    const [host, qemuDir] = path.resolve(pidfile).slice(nodes.length).split(path.sep);
    if (host && qemuDir === 'qemu') guests.push({ host, instanceId, pid });
  }
  return guests.sort((a, b) => a.host.localeCompare(b.host) || a.instanceId.localeCompare(b.instanceId));
}

/**
 * Host → instance ids with a QEMU process, for every QEMU host (`qemuHosts`, those whose
 * node folder has a `qemu/` folder: the driver makes it at start) and any host a guest names.
 */
export function qemuByHost(guests: readonly QemuGuest[], qemuHosts: readonly string[]): Map<string, string[]> {
  const byHost = new Map<string, string[]>(qemuHosts.map((h) => [h, []]));
  for (const g of guests) byHost.set(g.host, [...(byHost.get(g.host) ?? []), g.instanceId]);
  return byHost;
}

/** The pids of every QEMU whose `-uuid` is this instance, on the whole machine (a second one is a bug). */
export async function qemuPidsOf(instanceId: string): Promise<number[]> {
  return (await listProcesses())
    .filter(
      ({ argv }) =>
        path.basename(argv[0] ?? '').startsWith('qemu-system-') && optionValue(argv, '-uuid') === instanceId,
    )
    .map((p) => p.pid);
}
