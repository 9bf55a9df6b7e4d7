import type { HostHeartbeatActivities, HostSyncActivities } from '../contracts/host-sync.js';
import type { HostRegistry } from '../core/scheduling/host-registry.js';
import type { HostSyncService } from '../core/scheduling/host-sync.js';
import { classified } from './failures.js';

/** The compute agents' report and the control plane's answer (HostSync), on the scheduler queue. */
export function createHostSyncActivities(deps: { sync: HostSyncService }): HostSyncActivities {
  return {
    async syncHosts({ reports }) {
      return classified(() => deps.sync.sync(reports));
    },
  };
}

/** The agents' heartbeats, recorded by the workflow worker as local activities (HostHeartbeats). */
export function createHostHeartbeatActivities(deps: {
  hosts: Pick<HostRegistry, 'recordHeartbeats'>;
}): HostHeartbeatActivities {
  return {
    async recordHeartbeats({ beats }) {
      await classified(() => deps.hosts.recordHeartbeats(beats));
    },
  };
}
