import type { DataSource } from 'typeorm';
import type { HostClaim, HostDesiredState, HostReport, HostSyncResult } from '../../contracts/host-sync.js';
import { PowerState } from '../../contracts/power.js';
import { isUuid } from '../ids.js';
import { expectedVifDevices } from '../network/live-vif-devices.js';
import type { HostRegistry } from './host-registry.js';

/** The statuses of an instance that lives on its host (its domain and image stay there). */
const PLACED = ['ACTIVE', 'SHUTOFF'];

/**
 * The control plane's half of a compute host's reconciliation (Nova's conductor answering a
 * compute node): it registers the host, applies the power-state sync the host observed, and
 * answers what the host should have. The agent compares that with its hypervisor and acts on
 * the host (core/compute/reconciler.ts); it never reaches the database itself.
 */
export class HostSyncService {
  constructor(
    private readonly db: DataSource,
    private readonly registry: Pick<HostRegistry, 'register'>,
  ) {}

  /**
   * A batch (the simulated fleet registers hundreds of hosts at once) costs a registration per
   * host and a handful of reads for all of them, not a handful per host.
   */
  async sync(reports: HostReport[]): Promise<HostSyncResult> {
    const shutoff = new Map<string, string[]>();
    for (const report of reports) {
      if (report.capacity) {
        await this.registry.register(
          { name: report.host, ...report.capacity, hypervisorType: report.hypervisorType },
          new Date(report.sentAt),
        );
      }
      const shutOff = report.domains.filter((d) => d.state === 'shutoff').map((d) => d.instanceId);
      shutoff.set(report.host, await this.syncPowerStates(report.host, shutOff.filter(isUuid)));
    }
    // After the sync, so the answer shows what it changed.
    const names = reports.map((r) => r.host);
    // Only uuid-shaped names can be instances; comparing as uuid keeps the primary key usable.
    const domainIds = reports.flatMap((r) => r.domains.map((d) => d.instanceId)).filter(isUuid);
    const rows: Array<{ id: string; status: string; host: string | null; task_state: string | null }> =
      await this.db.query(
        `SELECT id, status, host, task_state FROM instances
         WHERE id = ANY($1::uuid[]) OR (host = ANY($2) AND status = ANY($3))`,
        [domainIds, names, PLACED],
      );
    const expected = await expectedVifDevices(this.db, names);
    const claims = await this.claimsOn(names);
    const building: Array<{ id: string }> = await this.db.query(`SELECT id FROM instances WHERE status = 'BUILD'`);
    const hosts = reports.map(({ host, domains }): HostDesiredState => {
      const reported = new Set(domains.map((d) => d.instanceId));
      const devices = expected.get(host)!;
      return {
        host,
        instances: rows
          .filter((r) => reported.has(r.id) || (r.host === host && r.status === 'ACTIVE'))
          .map((r) => ({ id: r.id, status: r.status, host: r.host, taskState: r.task_state })),
        shutoff: shutoff.get(host)!,
        expectedDevices: { taps: [...devices.taps].sort(), bridges: [...devices.bridges].sort() },
        placedInstanceIds: rows.filter((r) => r.host === host && PLACED.includes(r.status)).map((r) => r.id),
        claims: claims.filter((c) => c.host === host).map(({ host: _, ...claim }) => claim),
      };
    });
    return { hosts, building: building.map((r) => r.id) };
  }

  /**
   * Nova's `_sync_power_states`, the half that matters here: an ACTIVE instance whose domain
   * the host found shut off (its QEMU died or was killed) becomes SHUTOFF with power state
   * SHUTDOWN, so the user sees it and can `start` it. An instance with a task in flight is
   * left to its task (a stop in progress shuts its domain off on purpose), as Nova skips those
   * too. The update is conditional, so a power action that moved the instance meanwhile wins.
   */
  private async syncPowerStates(host: string, shutOff: string[]): Promise<string[]> {
    if (shutOff.length === 0) return [];
    // An UPDATE answers [rows, count] through TypeORM.
    const [updated]: [Array<{ id: string }>, number] = await this.db.query(
      `UPDATE instances SET status = 'SHUTOFF', power_state = $3, updated_at = now()
       WHERE id = ANY($1::uuid[]) AND host = $2 AND status = 'ACTIVE' AND task_state IS NULL RETURNING id`,
      [shutOff, host, PowerState.SHUTDOWN],
    );
    return updated.map((r) => r.id).sort();
  }

  private async claimsOn(hosts: string[]): Promise<Array<HostClaim & { host: string }>> {
    const rows: Array<{
      host: string;
      instance_id: string;
      vcpus: number;
      ram_mb: number;
      disk_gb: number;
      attempt_no: number | null;
      created_at: Date;
    }> = await this.db.query(
      `SELECT host, instance_id, vcpus, ram_mb, disk_gb, attempt_no, created_at FROM claims
       WHERE host = ANY($1) ORDER BY created_at, instance_id`,
      [hosts],
    );
    return rows.map((r) => ({
      host: r.host,
      instanceId: r.instance_id,
      vcpus: r.vcpus,
      ramMb: r.ram_mb,
      diskGb: r.disk_gb,
      attemptNo: r.attempt_no,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }
}
