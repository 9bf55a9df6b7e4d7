import type { DataSource } from 'typeorm';
import type {
  HostClaim,
  HostDesiredState,
  HostInstanceRow,
  HostReport,
  HostSyncResult,
} from '../../contracts/host-sync.js';
import { PowerState } from '../../contracts/power.js';
import { isUuid } from '../ids.js';
import { expectedVifDevices } from '../network/live-vif-devices.js';
import type { HostRegistry } from './host-registry.js';

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

  async sync(reports: HostReport[]): Promise<HostSyncResult> {
    const hosts: HostDesiredState[] = [];
    for (const report of reports) hosts.push(await this.syncHost(report));
    const building: Array<{ id: string }> = await this.db.query(`SELECT id FROM instances WHERE status = 'BUILD'`);
    return { hosts, building: building.map((r) => r.id) };
  }

  private async syncHost(report: HostReport): Promise<HostDesiredState> {
    const { host, capacity } = report;
    if (capacity) {
      await this.registry.register(
        { name: host, ...capacity, hypervisorType: report.hypervisorType },
        new Date(report.sentAt),
      );
    }
    // Only uuid-shaped names can be instances; comparing as uuid keeps the primary key usable.
    const ids = report.domains.map((d) => d.instanceId).filter(isUuid);
    const shutOff = report.domains.filter((d) => d.state === 'shutoff').map((d) => d.instanceId);
    const shutoff = await this.syncPowerStates(host, shutOff.filter(isUuid));
    // After the sync, so the rows show what it changed.
    const rows: Array<{ id: string; status: string; host: string | null; task_state: string | null }> =
      await this.db.query(
        `SELECT id, status, host, task_state FROM instances
         WHERE id = ANY($1::uuid[]) OR (host = $2 AND status = 'ACTIVE')`,
        [ids, host],
      );
    const instances: HostInstanceRow[] = rows.map((r) => ({
      id: r.id,
      status: r.status,
      host: r.host,
      taskState: r.task_state,
    }));
    const expected = (await expectedVifDevices(this.db, [host])).get(host)!;
    const placed: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM instances WHERE host = $1 AND status IN ('ACTIVE', 'SHUTOFF')`,
      [host],
    );
    return {
      host,
      instances,
      shutoff,
      expectedDevices: { taps: [...expected.taps].sort(), bridges: [...expected.bridges].sort() },
      placedInstanceIds: placed.map((r) => r.id),
      claims: await this.claimsOn(host),
    };
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

  private async claimsOn(host: string): Promise<HostClaim[]> {
    const rows: Array<{
      instance_id: string;
      vcpus: number;
      ram_mb: number;
      disk_gb: number;
      attempt_no: number | null;
      created_at: Date;
    }> = await this.db.query(
      `SELECT instance_id, vcpus, ram_mb, disk_gb, attempt_no, created_at FROM claims
       WHERE host = $1 ORDER BY created_at, instance_id`,
      [host],
    );
    return rows.map((r) => ({
      instanceId: r.instance_id,
      vcpus: r.vcpus,
      ramMb: r.ram_mb,
      diskGb: r.disk_gb,
      attemptNo: r.attempt_no,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }
}
