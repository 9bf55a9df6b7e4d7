/**
 * The network shapes that cross process boundaries: the network service (control plane)
 * returns them from allocatePort, the workflow passes them through untouched, and the
 * compute agent wires the host from them. Written once here; everything else imports them.
 */

export type SegmentationType = 'flat' | 'vlan' | 'vxlan';

export interface Segmentation {
  type: SegmentationType;
  /** VLAN id (1-4094) or VXLAN VNI (1-16777215); null for flat networks. */
  id: number | null;
}

/**
 * How the host plugs the port (Neutron's `binding:vif_type`): 'bridge' is a tap joined to a
 * Linux bridge (linuxbridge agent), 'tap' a bare tap the hypervisor opens.
 */
export type VifType = 'bridge' | 'tap';

/** Neutron's `binding:vif_details`, reduced to what a linuxbridge host needs. */
export interface VifDetails {
  /** The host bridge of the network: `brq` + network id prefix (≤ 15 characters). */
  bridge: string;
  /** The port's tap device: `tap` + port id prefix (≤ 15 characters). */
  tapDevice: string;
  segmentation: Segmentation;
}

/** What the network service decided about the port's host-side wiring. */
export interface PortBinding {
  vifType: VifType;
  details: VifDetails;
}

/** A port as allocatePort returns it and plugVif receives it. */
export interface PortInfo {
  portId: string;
  networkId: string;
  networkName: string;
  ip: string;
  mac: string;
  segmentation: Segmentation;
  /** The tap device, as `GET /v1/ports` shows it. */
  deviceName: string;
  /**
   * The binding the network service chose. Absent in ports recorded before bindings existed
   * (old workflow histories, builds in flight): the host side derives it then.
   */
  binding?: PortBinding;
  /**
   * The network's subnet, for the network node's DHCP (its gateway is the router it offers).
   * Absent in ports recorded before the network node existed.
   */
  subnet?: { cidr: string; gateway: string };
}
