import type { PortBinding, VifType } from '../../../contracts/network.js';
import type { OperationOptions } from '../../hypervisor/driver.js';

/**
 * Host-side wiring of a port (os-vif, or Neutron's linuxbridge agent): from the binding the
 * network service chose, make the host device the hypervisor then attaches to the guest.
 * Nova's order: plug the VIF, then attach it to the domain; on the way back, detach it from
 * the domain, then unplug. Both are idempotent, keyed by the port.
 */

/** The port as the host wires it. */
export interface VifPlugRequest {
  instanceId: string;
  portId: string;
  mac: string;
  /** The port's network: the segment its bridge carries (the binding names the bridge). */
  networkId?: string;
  binding: PortBinding;
}

/** What the VIF driver made: the device the hypervisor attaches the guest NIC to. */
export interface HostVif {
  portId: string;
  vifType: VifType;
  /** The tap device backing the guest NIC. */
  tapDevice: string;
  /** The bridge the tap is on; null for a bare tap. */
  bridge: string | null;
}

export interface VifDriver {
  /** Makes the port's devices on this host (bridge, tap); a plugged port is a no-op. */
  plug(req: VifPlugRequest, opts?: OperationOptions): Promise<HostVif>;
  /** Removes the port's tap (a bridge stays while other ports use it); a missing one is a no-op. */
  unplug(vif: Pick<HostVif, 'portId' | 'tapDevice' | 'bridge'>, opts?: OperationOptions): Promise<void>;
  /** The host's bridges with their taps (bare taps under ''): what reconciliation and the invariants compare. */
  devices(): Promise<Record<string, string[]>>;
  /** Removes a leftover device by name: a tap, or a bridge with its segment device. */
  remove(device: string): Promise<void>;
}
