import type { DomainReport, HostDesiredState } from '../../contracts/host-sync.js';
import type { HypervisorDriver } from '../hypervisor/driver.js';
import type { VifDriver } from '../network/vif/vif-driver.js';
import type { Logger } from '../logger.js';
import { strayDevices } from '../network/vif/stray-devices.js';

export interface ReconcileReport {
  /** Domains on this host that no live instance of this host owns: destroyed. */
  destroyed: string[];
  /** Instances the control plane places on this host as ACTIVE that have no domain here. */
  missing: string[];
  /** ACTIVE instances whose domain was found shut off (its QEMU died): made SHUTOFF by the control plane. */
  shutoff: string[];
  /** Taps and bridges that belonged to no live port here: removed (only with `vifs`). */
  removedDevices?: string[];
}

/**
 * The control plane's answer to "these are my domains": the HostSync workflow, which applies
 * the power-state sync and answers what this host should have. The agent never reads the
 * database (core/scheduling/host-sync.ts answers there).
 */
export type AskControlPlane = (domains: DomainReport[]) => Promise<HostDesiredState>;

/**
 * Compares the domains a host really has with what the control plane says it should have, as
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
  host: string,
  driver: HypervisorDriver,
  ask: AskControlPlane,
  log: Logger,
  opts: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const domains = await driver.listDomains();
  // Before the question (see removeStrayDevices).
  const devices = await opts.vifs?.devices();
  const desired = await ask(domains.map((d) => ({ instanceId: d.instanceId, state: d.state })));
  const byId = new Map(desired.instances.map((r) => [r.id, r]));
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
  const missing = desired.instances
    .filter((r) => r.host === host && r.status === 'ACTIVE' && !present.has(r.id))
    .map((r) => r.id);
  if (opts.logMissing !== false) {
    for (const id of missing) log.error({ instanceId: id }, 'instance is ACTIVE on this host but has no domain here');
  }
  // Nova's `_sync_power_states`: the control plane made these SHUTOFF from the states reported.
  for (const id of desired.shutoff) {
    log.warn({ instanceId: id }, 'instance was ACTIVE but its domain is shut off: now SHUTOFF');
  }
  const shutoff = desired.shutoff;
  if (!opts.vifs || !devices) return { destroyed, missing, shutoff };
  const removedDevices = await removeStrayDevices(devices, desired, opts.vifs, destroyed.length > 0, log);
  return { destroyed, missing, shutoff, removedDevices };
}

/**
 * Neutron's linuxbridge agent's sync, for what an undo could not reach (a crash between the
 * tap and the NIC, an agent away during a delete): taps of no live port here, and bridges of
 * no live port's network, are removed. Devices are listed before the control plane is asked:
 * a device made meanwhile belongs to a port that already exists, so it is never taken. Those
 * the orphans' unplugs already removed are not removed (nor reported) twice.
 */
async function removeStrayDevices(
  before: Record<string, string[]>,
  desired: HostDesiredState,
  vifs: VifDriver,
  unplugged: boolean,
  log: Logger,
): Promise<string[]> {
  const expected = { taps: new Set(desired.expectedDevices.taps), bridges: new Set(desired.expectedDevices.bridges) };
  let stray = strayDevices(before, expected);
  if (unplugged) {
    const now = await vifs.devices();
    const still = new Set([...Object.keys(now), ...Object.values(now).flat()]);
    stray = stray.filter((d) => still.has(d));
  }
  for (const device of stray) {
    log.warn({ device }, 'removing a tap or bridge that belongs to no live port on this host');
    await vifs.remove(device);
  }
  return stray;
}

/**
 * Reconciles again every `intervalMs` while the agent runs, as Nova's periodic tasks do.
 * The pass at start cannot catch everything: an agent that crashed during an undo comes
 * back while the build is still compensating (the instance still BUILD, its domain kept),
 * and if the retried undo then missed the host's pickup window, the domain of what is now
 * an ERROR instance would stay forever. Passes never overlap; a failed one (the control
 * plane unreachable) is logged and the next one tries again. Returns a stop function.
 */
export function reconcilePeriodically(
  host: string,
  driver: HypervisorDriver,
  ask: AskControlPlane,
  log: Logger,
  intervalMs: number,
  opts: Pick<ReconcileOptions, 'onDestroyed' | 'vifs'> = {},
): () => void {
  let running = false;
  let lastMissing = '';
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reconcileHost(host, driver, ask, log, { ...opts, logMissing: false })
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
