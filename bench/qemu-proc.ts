import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { readStat } from './cpu.js';

/** What the QEMU bench reads of a guest's QEMU process from /proc (Linux only). */

export interface ProcUsage {
  /** utime + stime since the process started. */
  qemuCpuSeconds: number | null;
  /** VmRSS and VmHWM. */
  rssMb: number | null;
  peakRssMb: number | null;
}

/** QEMU processes of this run: with one of its instances' -uuid, or a path under its data dir on the command line. */
export async function qemuProcessesOf(dataDir: string, ids: string[]): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (!path.basename(argv[0] ?? '').startsWith('qemu-system')) continue;
    const uuid = argv[argv.indexOf('-uuid') + 1];
    if ((argv.includes('-uuid') && ids.includes(uuid)) || argv.some((a) => a.includes(dataDir)))
      found.push(Number(entry));
  }
  return found;
}

/** CPU-seconds (utime + stime) and resident memory of a process, from /proc. */
export async function procUsage(pid: number): Promise<ProcUsage> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const mb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  };
  const stat = readStat(pid);
  return {
    qemuCpuSeconds: stat ? Math.round(stat.seconds * 100) / 100 : null,
    rssMb: mb('VmRSS'),
    peakRssMb: mb('VmHWM'),
  };
}
