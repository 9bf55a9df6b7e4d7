import type { DomainPowerState, PowerActivities } from '../contracts/activities.js';
import type { HypervisorDriver, OperationOptions } from '../core/hypervisor/driver.js';
import { DomainNotFoundError } from '../core/hypervisor/errors.js';
import { classified } from './failures.js';
import { withHeartbeat } from './heartbeat.js';

/**
 * Power actions and the console read on the agent's own host (queue `compute.HOST`). Each
 * power step answers the state the driver then reports, which the workflow records.
 */
export function createPowerActivities(deps: { driver: HypervisorDriver }): PowerActivities {
  const { driver } = deps;

  /** Runs a driver power call, heartbeating, then reads back the domain's state. */
  function power(
    instanceId: string,
    call: (id: string, opts: OperationOptions) => Promise<void>,
  ): Promise<{ state: DomainPowerState }> {
    return classified(() =>
      withHeartbeat(async (signal) => {
        await call(instanceId, { signal });
        const domain = await driver.getDomain(instanceId);
        if (!domain) throw new DomainNotFoundError(instanceId);
        return { state: domain.state };
      }),
    );
  }

  return {
    powerOffDomain: ({ instanceId }) => power(instanceId, (id, opts) => driver.powerOff(id, opts)),
    powerOnDomain: ({ instanceId }) => power(instanceId, (id, opts) => driver.powerOn(id, opts)),
    rebootDomain: ({ instanceId }) => power(instanceId, (id, opts) => driver.reboot(id, opts)),
    async getConsoleOutput({ instanceId, lines }) {
      return classified(async () => ({ output: await driver.getConsoleOutput(instanceId, lines) }));
    },
  };
}
