import { proxyActivities } from '@temporalio/workflow';
import type { PowerActivities } from '../contracts/activities.js';
import type { ConsoleInput, ConsoleOutput } from '../contracts/power.js';
import { hostRead } from './activity-options.js';

/** Default pickup for a console read: the user is waiting on the HTTP request. */
const CONSOLE_PICKUP_SEC = 5;

/**
 * Nova's os-getConsoleOutput: the guest's console lives on its host's disk, so the read runs
 * on the host's queue. A one-activity workflow the API awaits (a synchronous read through
 * Temporal, with its timeouts): a dead host fails it at the pickup timeout, not the API's.
 */
export async function InstanceConsole(input: ConsoleInput): Promise<ConsoleOutput> {
  const { instanceId, host, lines } = input;
  const compute = proxyActivities<PowerActivities>({
    ...hostRead(host, input.hostPickupTimeoutSec ?? CONSOLE_PICKUP_SEC),
    summary: `console of instance ${instanceId} on ${host} (${lines} lines)`,
  });
  return compute.getConsoleOutput({ instanceId, lines });
}
