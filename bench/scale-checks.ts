import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { checkInvariants } from '../core/invariants/check-invariants.js';
import { HostSelector, type ResourceRequest } from '../core/scheduling/host-selector.js';
import { summarize, type LatencySummary } from './stats.js';

/** What a scale run checks in PostgreSQL after its builds: outcomes, capacity, leaks. */

export interface Outcomes {
  /** Instances of the run by status. */
  byStatus: Record<string, number>;
  /** ERROR instances by fault code. */
  faults: Record<string, number>;
  /** Scheduling attempts by outcome: a `refused` claim is a race lost to another build. */
  attempts: Record<string, number>;
  /** Hosts holding at least one ACTIVE instance of the run. */
  hostsUsed: number;
}

export async function outcomes(db: DataSource, namePrefix: string): Promise<Outcomes> {
  const like = `${namePrefix}%`;
  const rows: Array<{ status: string; code: string | null; n: number }> = await db.query(
    `SELECT i.status, f.code, count(*)::int AS n FROM instances i
       LEFT JOIN instance_faults f ON f.instance_id = i.id
      WHERE i.name LIKE $1 GROUP BY 1, 2`,
    [like],
  );
  const attempts: Array<{ outcome: string; n: number }> = await db.query(
    `SELECT a.outcome, count(*)::int AS n FROM scheduling_attempts a
       JOIN instances i ON i.id = a.instance_id WHERE i.name LIKE $1 GROUP BY 1`,
    [like],
  );
  const [{ hosts }] = await db.query(
    `SELECT count(DISTINCT host)::int AS hosts FROM instances WHERE name LIKE $1 AND status = 'ACTIVE'`,
    [like],
  );
  const byStatus: Record<string, number> = {};
  const faults: Record<string, number> = {};
  for (const r of rows) {
    byStatus[r.status] = (byStatus[r.status] ?? 0) + r.n;
    if (r.code) faults[r.code] = (faults[r.code] ?? 0) + r.n;
  }
  return { byStatus, faults, attempts: Object.fromEntries(attempts.map((a) => [a.outcome, a.n])), hostsUsed: hosts };
}

export interface CapacityCheck {
  hosts: number;
  /** Hosts whose claims (or recorded usage) exceed capacity × allocation ratio in any resource: must be 0. */
  overCapacity: string[];
  /** m1.tiny slots still free over the fleet, and in all. */
  freeSlots: number;
  slots: number;
  /** core/invariants: claims, ports, addresses and host usage of the whole database. */
  violations: string[];
}

export async function capacityCheck(
  db: DataSource,
  hostPrefix: string,
  flavor: ResourceRequest,
): Promise<CapacityCheck> {
  const rows: Array<Record<string, number | string>> = await db.query(
    `SELECT h.name,
            floor(h.vcpus * h.cpu_allocation_ratio)::int AS vcpus, floor(h.ram_mb * h.ram_allocation_ratio)::int AS ram,
            floor(h.disk_gb * h.disk_allocation_ratio)::int AS disk,
            h.vcpus_used, h.ram_mb_used, h.disk_gb_used,
            COALESCE(c.vcpus, 0)::int AS c_vcpus, COALESCE(c.ram, 0)::int AS c_ram, COALESCE(c.disk, 0)::int AS c_disk
       FROM hosts h
       LEFT JOIN (SELECT host, sum(vcpus) AS vcpus, sum(ram_mb) AS ram, sum(disk_gb) AS disk
                    FROM claims GROUP BY host) c ON c.host = h.name
      WHERE h.name LIKE $1`,
    [`${hostPrefix}%`],
  );
  const overCapacity: string[] = [];
  let freeSlots = 0;
  let slots = 0;
  for (const r of rows) {
    const n = (k: string) => Number(r[k]);
    for (const [what, cap, used, claimed] of [
      ['vCPU', n('vcpus'), n('vcpus_used'), n('c_vcpus')],
      ['RAM', n('ram'), n('ram_mb_used'), n('c_ram')],
      ['disk', n('disk'), n('disk_gb_used'), n('c_disk')],
    ] as const) {
      if (Math.max(used, claimed) > cap) overCapacity.push(`${r.name} ${what}: ${Math.max(used, claimed)} of ${cap}`);
    }
    const fit = (cap: number, used: number, per: number) => Math.max(0, Math.floor((cap - used) / per));
    freeSlots += Math.min(
      fit(n('vcpus'), n('c_vcpus'), flavor.vcpus),
      fit(n('ram'), n('c_ram'), flavor.ramMb),
      fit(n('disk'), n('c_disk'), flavor.diskGb),
    );
    slots += Math.min(
      fit(n('vcpus'), 0, flavor.vcpus),
      fit(n('ram'), 0, flavor.ramMb),
      fit(n('disk'), 0, flavor.diskGb),
    );
  }
  const violations = (await checkInvariants(db)).map((v) => `${v.kind} ${v.id}: ${v.detail}`);
  return { hosts: rows.length, overCapacity, freeSlots, slots, violations };
}

/**
 * The scheduler's choice alone (HostSelector.select, the query selectHost runs) on this
 * fleet, timed in this process: the saga's figure minus Temporal's dispatch.
 */
export async function timeSelect(
  db: DataSource,
  serviceDownTimeSec: number,
  subsetSize: number,
  flavor: ResourceRequest,
  samples: number,
): Promise<LatencySummary> {
  const selector = new HostSelector(db, serviceDownTimeSec, 'spread', { size: subsetSize, random: Math.random });
  for (let i = 0; i < 20; i++) await selector.select(flavor);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await selector.select(flavor);
    times.push(performance.now() - t0);
  }
  return summarize(times);
}
