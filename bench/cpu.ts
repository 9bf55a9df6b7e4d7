import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of the benchmark's own process tree (the stack's apps, Temporal, PostgreSQL and
 * the benchmark itself), per process group, from /proc. Taken before and after a phase, the
 * difference says which process a build spends its CPU in — the first question when the
 * machine has two cores. Linux only; elsewhere it reports nothing.
 */

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node runs on.

export type CpuSnapshot = Map<number, { group: string; seconds: number }>;

export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  seconds: number;
}

export function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces: split after the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is state (field 3): utime and stime are fields 14 and 15.
    return {
      pid,
      ppid: Number(fields[1]),
      comm,
      seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return null; // gone between readdir and read
  }
}

/** Every descendant of this process, grouped by `name(pid)` (e.g. the supervisor's child names) or by command. */
export function cpuSnapshot(nameOf: (pid: number) => string | undefined): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return snapshot;
  }
  const stats = pids.map(readStat).filter((s): s is ProcStat => s !== null);
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const self = stats.find((s) => s.pid === process.pid);
  if (self) snapshot.set(self.pid, { group: 'bench', seconds: self.seconds });
  const walk = (pid: number, inherited: string | undefined) => {
    for (const child of children.get(pid) ?? []) {
      const group = nameOf(child.pid) ?? inherited ?? groupOfCommand(child.comm);
      snapshot.set(child.pid, { group, seconds: child.seconds });
      walk(child.pid, nameOf(child.pid) ?? inherited);
    }
  };
  walk(process.pid, undefined);
  return snapshot;
}

function groupOfCommand(comm: string): string {
  if (comm.startsWith('postgres') || comm === 'initdb') return 'postgres';
  if (comm.startsWith('temporal')) return 'temporal';
  return comm;
}

/** CPU seconds each group used between two snapshots (a process that started meanwhile counts from zero). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, { group, seconds }] of after) {
    const used = seconds - (before.get(pid)?.seconds ?? 0);
    out[group] = round2((out[group] ?? 0) + used);
  }
  return Object.fromEntries(
    Object.entries(out)
      .filter(([, s]) => s > 0)
      .sort(([, a], [, b]) => b - a),
  );
}

/** Adds one phase's CPU seconds per group into a running total. */
export function addCpu(total: Record<string, number>, more: Record<string, number>): void {
  for (const [group, seconds] of Object.entries(more)) total[group] = round2((total[group] ?? 0) + seconds);
}

/** CPU milliseconds per build, in all (`total`) and per group, from the seconds `n` builds used. */
export function cpuPerBuild(cpu: Record<string, number>, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [group, seconds] of Object.entries(cpu)) {
    out[group] = round2((seconds / Math.max(1, n)) * 1000); // ms per build
    total += seconds;
  }
  return { total: round2((total / Math.max(1, n)) * 1000), ...out };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
