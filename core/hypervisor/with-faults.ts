import type { HypervisorDriver } from './driver.js';
import type { FaultInjector } from './fault-injector.js';
import { wrapDriver } from './wrap-driver.js';

/**
 * Fault injection around any driver (DESIGN: `PUT /v1/admin/hosts/{host}/faults`): before
 * each step the injector may fail it, hang it until the activity's signal aborts, or end
 * the agent's process right there; the step itself then never happens. Meant to sit
 * outside the per-instance lock (driver-factory.ts): a hung step holds no lock, so the
 * undos of its build are not stuck behind it. Reads and host set-up are never faulted.
 */
export function withFaults(driver: HypervisorDriver, faults: FaultInjector): HypervisorDriver {
  return wrapDriver(driver, async (step, instanceId, opts, run) => {
    await faults.before(step, { instanceId, signal: opts?.signal });
    return run();
  });
}
