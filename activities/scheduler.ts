import type { HostChoice, SchedulerActivities, SelectHostInput } from '../contracts/activities.js';
import type { ClaimService } from '../core/scheduling/claims.js';
import type { HostRegistry } from '../core/scheduling/host-registry.js';
import type { HostSelector } from '../core/scheduling/host-selector.js';
import { classified } from './failures.js';

export function createSchedulerActivities(deps: {
  selector: HostSelector;
  claims: ClaimService;
  hosts: Pick<HostRegistry, 'markSuspect'>;
}): SchedulerActivities {
  return {
    async selectHost({ flavor, excludeHosts }: SelectHostInput): Promise<HostChoice> {
      return classified(async () => ({ host: await deps.selector.select(flavor, excludeHosts) }));
    },
    async releaseClaim({ instanceId, attemptNo, suspectHost }): Promise<void> {
      await classified(async () => {
        // First, so the build's next selectHost already passes the host over.
        if (suspectHost) await deps.hosts.markSuspect(suspectHost);
        await deps.claims.release(instanceId, attemptNo);
      });
    },
  };
}
