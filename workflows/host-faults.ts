import { proxyActivities } from '@temporalio/workflow';
import type { HostFaultActivities } from '../contracts/activities.js';
import type { ArmedFault, HostFaultsInput } from '../contracts/failure-injection.js';
import { hostRead } from './activity-options.js';

/** Default pickup: the admin is waiting on the HTTP request. */
const FAULTS_PICKUP_SEC = 5;

/**
 * Arms, lists or clears the failure injections of one host. The host holds them (the agents
 * have no database), so the request runs on the host's queue, as a one-activity workflow the
 * API awaits. One attempt with a short pickup, as for a console read: a dead host fails it at
 * the pickup timeout rather than after the API's; arming and clearing are idempotent anyway.
 */
export async function HostFaults(input: HostFaultsInput): Promise<ArmedFault[]> {
  const host = proxyActivities<HostFaultActivities>({
    ...hostRead(input.host, input.hostPickupTimeoutSec ?? FAULTS_PICKUP_SEC),
    summary: `${input.action} the injected faults of ${input.host}`,
  });
  switch (input.action) {
    case 'arm':
      return host.armHostFault({ fault: input.fault });
    case 'clear':
      return host.clearHostFaults();
    case 'list':
      return host.listHostFaults();
  }
}
