import type { HostChoice, SchedulerActivities, SelectHostInput } from '../contracts/activities.js';
import type { ClaimService } from '../core/scheduling/claims.js';
import type { HostSelector } from '../core/scheduling/host-selector.js';
import { classified } from './failures.js';

export function createSchedulerActivities(deps: { selector: HostSelector; claims: ClaimService }): SchedulerActivities {
  return {
    async selectHost({ flavor, excludeHosts }: SelectHostInput): Promise<HostChoice> {
      return classified(async () => ({ host: await deps.selector.select(flavor, excludeHosts) }));
    },
    async releaseClaim({ instanceId }): Promise<void> {
      await classified(() => deps.claims.release(instanceId));
    },
  };
}
