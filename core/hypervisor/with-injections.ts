import type { HypervisorDriver } from './driver.js';
import type { FailureInjector } from './failure-injector.js';
import { wrapDriver } from './wrap-driver.js';

/**
 * Fault injection around any driver (DESIGN: `PUT /v1/admin/hosts/{host}/faults`): before
 * each step the injector may fail it, hang it until the activity's signal aborts, or end
 * the agent's process right there; the step itself then never happens. Meant to sit
 * outside the per-instance lock (driver-factory.ts): a hung step holds no lock, so the
 * undos of its build are not stuck behind it. Reads and host set-up are never faulted.
 */
export function withInjections(driver: HypervisorDriver, faults: FailureInjector): HypervisorDriver {
  return wrapDriver(driver, async (step, instanceId, opts, run) => {
    await faults.before(step, { instanceId, signal: opts?.signal });
    return run();
  });
}
