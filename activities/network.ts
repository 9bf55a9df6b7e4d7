import type { NetworkActivities, PortInfo } from '../contracts/activities.js';
import type { PortAllocator } from '../core/network/port-allocator.js';
import { classified } from './failures.js';

export function createNetworkActivities(deps: { ports: PortAllocator }): NetworkActivities {
  return {
    async allocatePort({ instanceId, networkId, host }): Promise<PortInfo> {
      return classified(() => deps.ports.allocate({ instanceId, networkId, host }));
    },
    async deallocatePort({ instanceId }): Promise<void> {
      await classified(() => deps.ports.deallocate(instanceId));
    },
  };
}
