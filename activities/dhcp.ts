import type { DhcpActivities } from '../contracts/dhcp.js';
import { DriverCodes } from '../contracts/errors.js';
import type { DhcpDriver } from '../core/network/dhcp/dhcp-driver.js';
import { removeInstanceReservations } from '../core/network/dhcp/dhcp-reconcile.js';
import { DomainError } from '../core/errors.js';
import { classified } from './failures.js';

/** The network node's queue: DHCP reservations, one per port, in the network's qdhcp namespace. */
export function createDhcpActivities(deps: { dhcp: DhcpDriver }): DhcpActivities {
  return {
    async addDhcpReservation({ instanceId, port }): Promise<void> {
      await classified(async () => {
        // Ports allocated before the network node existed carry no subnet: nothing to serve them from.
        if (!port.subnet) {
          throw new DomainError(DriverCodes.VifBindingInvalid, `port ${port.portId} carries no subnet to serve`);
        }
        const network = { networkId: port.networkId, ...port.subnet, segmentation: port.segmentation };
        await deps.dhcp.addReservation(network, { portId: port.portId, instanceId, mac: port.mac, ip: port.ip });
      });
    },
    async removeDhcpReservation({ instanceId }): Promise<void> {
      await classified(() => removeInstanceReservations(deps.dhcp, instanceId));
    },
  };
}
