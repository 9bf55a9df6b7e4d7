import type { DataSource } from 'typeorm';
import { Host } from '../db/entities/index.js';
import { DEFAULT_ALLOCATION_RATIOS, freeRoom } from './capacity.js';

export interface HostCapacity {
  name: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
  cpuAllocationRatio?: number;
  ramAllocationRatio?: number;
  diskAllocationRatio?: number;
  /** What the agent's driver reports (getHostResources), e.g. 'fake', 'qemu/tcg'. */
  hypervisorType?: string;
}

export const HOST_STATUSES = ['up', 'down', 'disabled'] as const;
export type HostLiveness = (typeof HOST_STATUSES)[number];

export interface HostView {
  name: string;
  status: HostLiveness;
  /** Null for a host whose agent registered before the column existed. */
  hypervisorType: string | null;
  disabledReason: string | null;
  vcpus: number;
  vcpusUsed: number;
  ramMb: number;
  ramMbUsed: number;
  diskGb: number;
  diskGbUsed: number;
  cpuAllocationRatio: number;
  ramAllocationRatio: number;
  diskAllocationRatio: number;
  /** Room left for new claims: capacity × allocation ratio − used (what the filters and claims compare). */
  vcpusFree: number;
  ramMbFree: number;
  diskGbFree: number;
  /** Builds holding a claim here (building or running). */
  instances: number;
  lastHeartbeatAt: string | null;
  /** Set while a host step went unanswered there and the agent has not heartbeated since: not offered. */
  suspectSince: string | null;
}

/** Hosts per heartbeat UPDATE. */
const HEARTBEAT_ROWS = 200;

/**
 * The SET of a heartbeat sent at `sent` (an SQL expression): last_heartbeat_at only moves
 * forward and never past `sent` or now (GREATEST ignores a NULL), and a suspicion is cleared
 * only by a heartbeat sent after it was raised.
 */
const heartbeatSet = (sent: string) =>
  `last_heartbeat_at = GREATEST(hosts.last_heartbeat_at, LEAST(now(), ${sent})),
   suspect_since = CASE WHEN hosts.suspect_since <= ${sent} THEN NULL ELSE hosts.suspect_since END`;

/** Compute hosts: registration by their agents, heartbeats, and the liveness the scheduler trusts. */
export class HostRegistry {
  constructor(
    private readonly db: DataSource,
    private readonly serviceDownTimeSec: number,
  ) {}

  /**
   * An agent announces its capacity; usage is left alone (it is the sum of live claims). The
   * announcement is also a heartbeat, dated as `recordHeartbeats` dates them (`sentAt`, default now).
   */
  async register(cap: HostCapacity, sentAt?: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO hosts
         (name, vcpus, ram_mb, disk_gb, cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio,
          hypervisor_type, last_heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, LEAST(now(), COALESCE($9::timestamptz, now())))
       ON CONFLICT (name) DO UPDATE SET vcpus = $2, ram_mb = $3, disk_gb = $4,
         cpu_allocation_ratio = $5, ram_allocation_ratio = $6, disk_allocation_ratio = $7,
         hypervisor_type = COALESCE($8, hosts.hypervisor_type),
         ${heartbeatSet('COALESCE($9::timestamptz, now())')},
         updated_at = now()`,
      [
        cap.name,
        cap.vcpus,
        cap.ramMb,
        cap.diskGb,
        cap.cpuAllocationRatio ?? DEFAULT_ALLOCATION_RATIOS.vcpus,
        cap.ramAllocationRatio ?? DEFAULT_ALLOCATION_RATIOS.ramMb,
        cap.diskAllocationRatio ?? DEFAULT_ALLOCATION_RATIOS.diskGb,
        cap.hypervisorType ?? null,
        sentAt ?? null,
      ],
    );
  }

  /**
   * The agents' periodic "alive", for many hosts at once. Each is dated by when its agent sent
   * it, never later than now: a heartbeat that waited in Temporal while the controller was
   * down says when the host was last alive, not when it was read. It also clears a suspicion
   * raised before it was sent (the agent plainly answered since), and never one raised after.
   * Statements of a few hundred rows, so claims on those hosts' rows wait little.
   */
  async recordHeartbeats(beats: Array<{ host: string; sentAt: number }>): Promise<void> {
    for (let i = 0; i < beats.length; i += HEARTBEAT_ROWS) {
      const batch = beats.slice(i, i + HEARTBEAT_ROWS);
      await this.db.query(
        `UPDATE hosts SET ${heartbeatSet('b.sent_at')}
         FROM (SELECT name, to_timestamp(max(sent_ms) / 1000.0) AS sent_at
               FROM unnest($1::text[], $2::float8[]) AS u(name, sent_ms) GROUP BY name) b
         WHERE hosts.name = b.name`,
        [batch.map((b) => b.host), batch.map((b) => b.sentAt)],
      );
    }
  }

  /**
   * A host step went unanswered there (a frozen or dead agent): the scheduler skips the host
   * until its agent heartbeats again, instead of every build paying a timeout to find out.
   */
  async markSuspect(name: string): Promise<void> {
    await this.db.query(`UPDATE hosts SET suspect_since = COALESCE(suspect_since, now()) WHERE name = $1`, [name]);
  }

  async setDisabled(name: string, disabled: boolean, reason: string | null = null): Promise<boolean> {
    const res = await this.db
      .getRepository(Host)
      .update({ name }, { disabled, disabledReason: disabled ? reason : null });
    return (res.affected ?? 0) > 0;
  }

  async list(): Promise<HostView[]> {
    return this.query(null);
  }

  async get(name: string): Promise<HostView | null> {
    return (await this.query(name))[0] ?? null;
  }

  private async query(name: string | null): Promise<HostView[]> {
    const rows: Array<Host & { alive: boolean }> = await this.db.query(
      `SELECT h.*,
              (h.last_heartbeat_at IS NOT NULL AND h.last_heartbeat_at > now() - make_interval(secs => $1)) AS alive,
              COALESCE(c.instances, 0)::int AS instances
       FROM hosts h
       LEFT JOIN (SELECT host, count(*) AS instances FROM claims GROUP BY host) c ON c.host = h.name
       WHERE $2::text IS NULL OR h.name = $2
       ORDER BY h.name`,
      [this.serviceDownTimeSec, name],
    );
    return rows.map((r: any) => ({
      name: r.name,
      status: r.disabled ? 'disabled' : r.alive ? 'up' : 'down',
      hypervisorType: r.hypervisor_type,
      disabledReason: r.disabled_reason,
      vcpus: r.vcpus,
      vcpusUsed: r.vcpus_used,
      ramMb: r.ram_mb,
      ramMbUsed: r.ram_mb_used,
      diskGb: r.disk_gb,
      diskGbUsed: r.disk_gb_used,
      cpuAllocationRatio: r.cpu_allocation_ratio,
      ramAllocationRatio: r.ram_allocation_ratio,
      diskAllocationRatio: r.disk_allocation_ratio,
      vcpusFree: freeRoom(r.vcpus, r.cpu_allocation_ratio, r.vcpus_used),
      ramMbFree: freeRoom(r.ram_mb, r.ram_allocation_ratio, r.ram_mb_used),
      diskGbFree: freeRoom(r.disk_gb, r.disk_allocation_ratio, r.disk_gb_used),
      instances: r.instances,
      lastHeartbeatAt: r.last_heartbeat_at ? new Date(r.last_heartbeat_at).toISOString() : null,
      suspectSince: r.suspect_since ? new Date(r.suspect_since).toISOString() : null,
    }));
  }
}
