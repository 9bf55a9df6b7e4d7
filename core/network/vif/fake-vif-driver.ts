import { DriverCodes } from '../../../contracts/errors.js';
import type { PortBinding } from '../../../contracts/network.js';
import { DomainError } from '../../errors.js';
import type { OperationOptions } from '../../hypervisor/driver.js';
import { MAX_INTERFACE_NAME, validateSegmentation } from '../port-binding.js';
import type { HostVif, VifDriver, VifPlugRequest } from './vif-driver.js';

/** A binding this host cannot wire (a bad name, an unknown VIF type): no retry fixes it. */
export const VifBindingInvalid = DriverCodes.VifBindingInvalid;

/**
 * A VIF driver that makes no devices but checks every binding as the linuxbridge one will
 * (names that fit IFNAMSIZ, a valid segmentation) and keeps the bridges and their taps in
 * memory, so tests can see what the host would have.
 */
export class FakeVifDriver implements VifDriver {
  /** bridge → taps on it; bare taps under the key ''. */
  private readonly bridges = new Map<string, Set<string>>();

  plug(req: VifPlugRequest, opts: OperationOptions = {}): Promise<HostVif> {
    opts.signal?.throwIfAborted();
    const { vifType, details } = checkBinding(req.binding);
    const bridge = vifType === 'bridge' ? details.bridge : null;
    const taps = this.bridges.get(bridge ?? '') ?? new Set<string>();
    taps.add(details.tapDevice);
    this.bridges.set(bridge ?? '', taps);
    return Promise.resolve({ portId: req.portId, vifType, tapDevice: details.tapDevice, bridge });
  }

  unplug(vif: Pick<HostVif, 'portId' | 'tapDevice' | 'bridge'>, opts: OperationOptions = {}): Promise<void> {
    opts.signal?.throwIfAborted();
    const key = vif.bridge ?? '';
    const taps = this.bridges.get(key);
    taps?.delete(vif.tapDevice);
    // Like the linuxbridge agent, a bridge goes with its last tap.
    if (taps?.size === 0) this.bridges.delete(key);
    return Promise.resolve();
  }

  /** Forgets a leftover device: a tap, or a bridge with its taps (reconciliation). */
  remove(device: string): Promise<void> {
    this.bridges.delete(device);
    for (const taps of this.bridges.values()) taps.delete(device);
    return Promise.resolve();
  }

  /** The host's bridges with their taps, sorted: what `ip link` would show. */
  devices(): Promise<Record<string, string[]>> {
    const entries = [...this.bridges].map(([bridge, taps]) => [bridge, [...taps].sort()] as const);
    return Promise.resolve(Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b))));
  }
}

/** A binding a host can wire: bridge or tap, names that fit IFNAMSIZ, a valid segmentation. */
export function checkBinding(binding: PortBinding): PortBinding {
  if (binding.vifType !== 'bridge' && binding.vifType !== 'tap') {
    throw new DomainError(VifBindingInvalid, `VIF type ${String(binding.vifType)} is not bridge or tap`);
  }
  const names =
    binding.vifType === 'bridge' ? [binding.details.tapDevice, binding.details.bridge] : [binding.details.tapDevice];
  for (const name of names) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name ?? '') || name.length > MAX_INTERFACE_NAME) {
      throw new DomainError(
        VifBindingInvalid,
        `interface name ${JSON.stringify(name)} is not 1-${MAX_INTERFACE_NAME} safe characters`,
      );
    }
  }
  try {
    validateSegmentation(binding.details.segmentation);
  } catch (err) {
    throw new DomainError(VifBindingInvalid, (err as Error).message);
  }
  return binding;
}
