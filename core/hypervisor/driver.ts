/**
 * The virt driver boundary (Nova's `ComputeDriver`, reduced to what a build needs).
 * The compute agent talks only to this interface, so the fake driver used in tests and
 * demos and a later QEMU driver are interchangeable. Every method is idempotent, keyed
 * by the instance id: a Temporal retry or a saga compensation that runs twice, or that
 * runs when its step never happened, must be harmless.
 */

export type SegmentationType = 'flat' | 'vlan' | 'vxlan';

export interface Segmentation {
  type: SegmentationType;
  /** VLAN id (1-4094) or VXLAN VNI (1-16777215); null for flat networks. */
  id: number | null;
}

export interface DomainSpec {
  instanceId: string;
  name: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
  /** The image file in the node's cache (NodeImageCache.ensure). */
  imagePath: string;
  imageSha256: string;
}

export interface VifSpec {
  portId: string;
  mac: string;
  ip: string;
  networkId: string;
  segmentation: Segmentation;
}

export interface IscsiConnection {
  targetIqn: string;
  targetPortal: string;
  targetLun: number;
}

export interface VolumeAttachSpec {
  volumeId: string;
  connection: IscsiConnection;
}

export type DomainState = 'running' | 'shutoff';

export interface PluggedVif extends VifSpec {
  /** Host-side tap device: `tap` + the first 11 characters of the port id, as Nova names it. */
  tapDevice: string;
  /** The bridge the tap joins for this segmentation (br-flat, br-vlan<id>, br-vxlan<vni>). */
  bridge: string;
}

export interface AttachedVolume extends VolumeAttachSpec {
  /** Guest device name: vda is the root disk, volumes take vdb, vdc, ... (first free). */
  device: string;
}

export interface Domain extends DomainSpec {
  state: DomainState;
  vifs: PluggedVif[];
  volumes: AttachedVolume[];
  createdAt: string;
  updatedAt: string;
}

export interface OperationOptions {
  /** Aborts a slow or hung operation (activity cancellation or timeout). */
  signal?: AbortSignal;
}

export interface HypervisorDriver {
  /** Defines and starts the domain. A second spawn with the same spec is a no-op. */
  spawn(spec: DomainSpec, opts?: OperationOptions): Promise<Domain>;
  /** Stops and undefines the domain with its VIFs and attachments; a missing domain is a no-op. */
  destroy(instanceId: string, opts?: OperationOptions): Promise<void>;
  /** Plugs the port into the domain; an already plugged port is a no-op. */
  plugVif(instanceId: string, vif: VifSpec, opts?: OperationOptions): Promise<PluggedVif>;
  /** Unplugs one port, or every port when portId is omitted; missing domain or port is a no-op. */
  unplugVif(instanceId: string, portId?: string, opts?: OperationOptions): Promise<void>;
  /** Attaches the volume; an attached volume returns the device it already has. */
  attachVolume(instanceId: string, vol: VolumeAttachSpec, opts?: OperationOptions): Promise<{ device: string }>;
  /** Detaches the volume; missing domain or attachment is a no-op. */
  detachVolume(instanceId: string, volumeId: string, opts?: OperationOptions): Promise<void>;
  /** Every domain this node has, for reconciliation after a restart. */
  listDomains(): Promise<Domain[]>;
  getDomain(instanceId: string): Promise<Domain | null>;
}
