import type { PortBinding, Segmentation, VifType } from '../../contracts/network.js';
import { SEGMENTATION_ID_RANGE } from './network-spec.js';

/**
 * Port bindings, linuxbridge style: the network service decides how a port is wired on
 * its host and hands that decision to the compute agent with the port, as Neutron's ML2
 * returns `binding:vif_type` and `binding:vif_details`. The names are Neutron's, so an
 * operator can match a device on the host to a port or a network id at a glance.
 * Pure functions: the control plane binds, and a host derives the same binding for ports
 * recorded before bindings existed.
 */

/** Linux's IFNAMSIZ leaves 15 characters for an interface name. */
export const MAX_INTERFACE_NAME = 15;

/** Neutron/Nova: `tap` + the first 11 characters of the port id (14 characters). */
export function tapDeviceName(portId: string): string {
  return 'tap' + portId.slice(0, 11);
}

/** Neutron's linuxbridge agent: `brq` + the first 11 characters of the network id (14 characters). */
export function bridgeName(networkId: string): string {
  return 'brq' + networkId.slice(0, 11);
}

/** The binding of a port on its network; 'bridge' (a tap on the network's bridge) unless asked otherwise. */
export function bindPort(
  port: { portId: string; networkId: string; segmentation: Segmentation },
  vifType: VifType = 'bridge',
): PortBinding {
  validateSegmentation(port.segmentation);
  return {
    vifType,
    details: {
      bridge: bridgeName(port.networkId),
      tapDevice: tapDeviceName(port.portId),
      segmentation: { type: port.segmentation.type, id: port.segmentation.id },
    },
  };
}

/** A segmentation a host can wire: flat without an id, vlan and vxlan with one in range. */
export function validateSegmentation(seg: Segmentation): void {
  const { type, id } = seg;
  if (type === 'flat') {
    if (id !== null) throw new RangeError(`a flat network has no segmentation id (got ${id})`);
    return;
  }
  const range = (SEGMENTATION_ID_RANGE as Record<string, { min: number; max: number } | undefined>)[type];
  if (!range) throw new RangeError(`unknown segmentation type ${String(type)}`);
  if (id === null || !Number.isInteger(id) || id < range.min || id > range.max) {
    throw new RangeError(`${type} segmentation id must be an integer in ${range.min}-${range.max} (got ${id})`);
  }
}
