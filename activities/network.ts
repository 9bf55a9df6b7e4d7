import type { NetworkActivities, PortInfo } from '../contracts/activities.js';
import type { DataSource } from 'typeorm';
import { listDhcpReservations } from '../core/network/dhcp-reservations.js';
import type { PortAllocator } from '../core/network/port-allocator.js';
import { classified } from './failures.js';
import type { CarriedRecordsWriter } from './records.js';

export function createNetworkActivities(deps: {
  ports: PortAllocator;
  db: DataSource;
  writeCarried: CarriedRecordsWriter;
}): NetworkActivities {
  return {
    async allocatePort({ instanceId, networkId, host, records }): Promise<PortInfo> {
      return classified(async () => {
        await deps.writeCarried(records);
        return deps.ports.allocate({ instanceId, networkId, host });
      });
    },
    async deallocatePort({ instanceId }): Promise<void> {
      await classified(() => deps.ports.deallocate(instanceId));
    },
    async listDhcpReservations() {
      return classified(() => listDhcpReservations(deps.db));
    },
  };
}
