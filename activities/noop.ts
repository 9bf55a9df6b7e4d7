import type { NoopActivities } from '../contracts/activities.js';

/**
 * An activity that does nothing, registered on every worker (the controller's queues and
 * each compute agent's). The benchmark's floor workflow runs as many of these, on the same
 * queues and workers, as a real build runs activities: what is left of a build's time
 * once our own work is taken away is Temporal's and the workers' overhead.
 */
export function createNoopActivities(): NoopActivities {
  return {
    async noop(): Promise<void> {},
  };
}
