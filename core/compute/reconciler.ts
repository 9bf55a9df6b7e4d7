import type { DataSource } from 'typeorm';
import { PowerState } from '../../contracts/power.js';
import type { Domain, HypervisorDriver } from '../hypervisor/driver.js';
import type { VifDriver } from '../network/vif/vif-driver.js';
import type { Logger } from '../logger.js';
import { isUuid } from '../ids.js';
import { expectedVifDevices, strayDevices } from '../network/live-vif-devices.js';

export interface ReconcileReport {
  /** Domains on this host that no live instance of this host owns: destroyed. */
  destroyed: string[];
  /** Instances the database places on this host as ACTIVE that have no domain here. */
  missing: string[];
  /** ACTIVE instances whose domain was found shut off (its QEMU died): now SHUTOFF (power-state sync). */
  shutoff: string[];
  /** Taps and bridges that belonged to no live port here: removed (only with `vifs`). */
  removedDevices?: string[];
}

/**
 * Compares the domains a host really has with what Postgres says it should have, as
 * Nova's `_destroy_evacuated_instances` / `_sync_power_states` do on a compute restart.
 * A domain is kept while its instance is building or active on this host; any other is
 * an orphan (its build was compensated or deleted while the agent was away).
 */

export interface ReconcileOptions {
  logMissing?: boolean;
  /** Called for each orphan destroyed, e.g. to unpin its image in the node cache. */
  onDestroyed?: (instanceId: string) => Promise<void>;
  /** Removes the host devices (taps) of an orphan's NICs once its domain is gone. */
  vifs?: VifDriver;
}

export async function reconcileHost(
  db: DataSource,
  host: string,
  driver: HypervisorDriver,
  log: Logger,
  opts: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const domains = await driver.listDomains();
  // Only uuid-shaped names can be instances; comparing as uuid keeps the primary key usable.
  const ids = domains.map((d) => d.instanceId).filter(isUuid);
  const rows: Array<{ id: string; status: string; host: string | null; task_state: string | null }> = await db.query(
    `SELECT id, status, host, task_state FROM instances
     WHERE id = ANY($1::uuid[]) OR (host = $2 AND status = 'ACTIVE')`,
    [ids, host],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const destroyed: string[] = [];
  for (const domain of domains) {
    const inst = byId.get(domain.instanceId);
    // A SHUTOFF instance keeps its stopped domain (and disk) for `start`.
    const owned = inst && inst.host === host && ['ACTIVE', 'BUILD', 'SHUTOFF'].includes(inst.status);
    if (owned) continue;
    log.warn({ instanceId: domain.instanceId, status: inst?.status ?? 'unknown' }, 'destroying orphan domain');
    await driver.destroy(domain.instanceId);
    for (const vif of domain.vifs) await opts.vifs?.unplug(vif);
    await opts.onDestroyed?.(domain.instanceId);
    destroyed.push(domain.instanceId);
  }
  const present = new Set(domains.map((d) => d.instanceId));
  const missing = rows.filter((r) => r.host === host && r.status === 'ACTIVE' && !present.has(r.id)).map((r) => r.id);
  if (opts.logMissing !== false) {
    for (const id of missing) log.error({ instanceId: id }, 'instance is ACTIVE on this host but has no domain here');
  }
  const shutoff = await syncPowerStates(db, host, domains, byId, log);
  if (!opts.vifs) return { destroyed, missing, shutoff };
  return { destroyed, missing, shutoff, removedDevices: await removeStrayDevices(db, host, opts.vifs, log) };
}

/**
 * Neutron's linuxbridge agent's sync, for what an undo could not reach (a crash between the
 * tap and the NIC, an agent away during a delete): taps of no live port here, and bridges of
 * no live port's network, are removed. Devices are listed before the database is asked: a
 * device made meanwhile belongs to a port that already exists, so it is never taken.
 */
async function removeStrayDevices(db: DataSource, host: string, vifs: VifDriver, log: Logger): Promise<string[]> {
  const devices = await vifs.devices();
  const expected = (await expectedVifDevices(db, [host])).get(host)!;
  const stray = strayDevices(devices, expected);
  for (const device of stray) {
    log.warn({ device }, 'removing a tap or bridge that belongs to no live port on this host');
    await vifs.remove(device);
  }
  return stray;
}

/**
 * Nova's `_sync_power_states`, the half that matters here: an ACTIVE instance whose domain
 * is shut off (its QEMU died or was killed) becomes SHUTOFF with power state SHUTDOWN, so
 * the user sees it and can `start` it. An instance with a task in flight is left to its
 * task (a stop in progress shuts its domain off on purpose), as Nova skips those too. The
 * update is conditional, so a power action that moved the instance meanwhile wins.
 */
async function syncPowerStates(
  db: DataSource,
  host: string,
  domains: Domain[],
  byId: Map<string, { status: string; host: string | null; task_state: string | null }>,
  log: Logger,
): Promise<string[]> {
  const shutoff: string[] = [];
  for (const domain of domains) {
    const inst = byId.get(domain.instanceId);
    if (domain.state !== 'shutoff' || inst?.host !== host || inst.status !== 'ACTIVE' || inst.task_state) continue;
    // An UPDATE answers [rows, count] through TypeORM.
    const [updated]: [unknown[], number] = await db.query(
      `UPDATE instances SET status = 'SHUTOFF', power_state = $3, updated_at = now()
       WHERE id = $1 AND host = $2 AND status = 'ACTIVE' AND task_state IS NULL RETURNING id`,
      [domain.instanceId, host, PowerState.SHUTDOWN],
    );
    if (updated.length === 0) continue;
    log.warn({ instanceId: domain.instanceId }, 'instance was ACTIVE but its domain is shut off: now SHUTOFF');
    shutoff.push(domain.instanceId);
  }
  return shutoff;
}

/**
 * Reconciles again every `intervalMs` while the agent runs, as Nova's periodic tasks do.
 * The pass at start cannot catch everything: an agent that crashed during an undo comes
 * back while the build is still compensating (the instance still BUILD, its domain kept),
 * and if the retried undo then missed the host's pickup window, the domain of what is now
 * an ERROR instance would stay forever. Passes never overlap; a failed one is logged and
 * the next one tries again. Returns a stop function.
 */
export function reconcilePeriodically(
  db: DataSource,
  host: string,
  driver: HypervisorDriver,
  log: Logger,
  intervalMs: number,
  opts: Pick<ReconcileOptions, 'onDestroyed' | 'vifs'> = {},
): () => void {
  let running = false;
  let lastMissing = '';
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reconcileHost(db, host, driver, log, { ...opts, logMissing: false })
      .then((report) => {
        const missing = report.missing.join(',');
        // The same missing instances would be reported on every pass: only a change is news.
        const removed = report.removedDevices?.length ?? 0;
        const news = report.destroyed.length > 0 || report.shutoff.length > 0 || removed > 0 || missing !== lastMissing;
        if (news) log.info(report, 'periodic reconciliation');
        lastMissing = missing;
      })
      .catch((err) => log.warn({ err }, 'periodic reconciliation failed; the next pass will try again'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
