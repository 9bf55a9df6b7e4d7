import type { DataSource } from 'typeorm';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import type { Logger } from '../logger.js';

export interface ReconcileReport {
  /** Domains on this host that no live instance of this host owns: destroyed. */
  destroyed: string[];
  /** Instances the database places on this host as ACTIVE that have no domain here. */
  missing: string[];
}

/**
 * Compares the domains a host really has with what Postgres says it should have, as
 * Nova's `_destroy_evacuated_instances` / `_sync_power_states` do on a compute restart.
 * A domain is kept while its instance is building or active on this host; any other is
 * an orphan (its build was compensated or deleted while the agent was away).
 */
export async function reconcileHost(db: DataSource, host: string, driver: HypervisorDriver, log: Logger): Promise<ReconcileReport> {
  const domains = await driver.listDomains();
  const rows: Array<{ id: string; status: string; host: string | null }> = await db.query(
    `SELECT id, status, host FROM instances WHERE id::text = ANY($1) OR (host = $2 AND status = 'ACTIVE')`,
    [domains.map((d) => d.instanceId), host],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const destroyed: string[] = [];
  for (const domain of domains) {
    const inst = byId.get(domain.instanceId);
    const owned = inst && inst.host === host && (inst.status === 'ACTIVE' || inst.status === 'BUILD');
    if (owned) continue;
    log.warn({ instanceId: domain.instanceId, status: inst?.status ?? 'unknown' }, 'destroying orphan domain');
    await driver.destroy(domain.instanceId);
    destroyed.push(domain.instanceId);
  }
  const present = new Set(domains.map((d) => d.instanceId));
  const missing = rows.filter((r) => r.host === host && r.status === 'ACTIVE' && !present.has(r.id)).map((r) => r.id);
  for (const id of missing) log.error({ instanceId: id }, 'instance is ACTIVE on this host but has no domain here');
  return { destroyed, missing };
}
