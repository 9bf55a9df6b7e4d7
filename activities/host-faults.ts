import type { HostFaultActivities } from '../contracts/activities.js';
import type { HostFaultStore } from '../core/failure-injection/host-fault-store.js';

/**
 * The injections armed on the agent's own host (queue `compute.HOST`): the API sets and reads
 * them through the HostFaults workflow, and the host keeps them (host-fault-store.ts).
 */
export function createHostFaultActivities(deps: { faults: HostFaultStore }): HostFaultActivities {
  const { faults } = deps;
  return {
    armHostFault: ({ fault }) => faults.arm(fault),
    listHostFaults: () => faults.list(),
    clearHostFaults: () => faults.clear(),
  };
}
