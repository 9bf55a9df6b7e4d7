/**
 * The virt driver boundary (Nova's `ComputeDriver`, reduced to what a build needs).
 * The compute agent talks only to this interface, so the fake driver used in tests and
 * demos and a later QEMU driver are interchangeable. Every mutating method is idempotent,
 * keyed by the instance id: a Temporal retry or a saga compensation that runs twice, or
 * that runs when its step never happened, must be harmless.
 *
 * What a driver does not do itself, every driver gets from the factory (driver-factory.ts):
 * per-instance locking (locked.ts) and fault injection (with-faults.ts). Host-side wiring
 * of ports is the VIF driver's (core/network/vif/), volume connections the connector's
 * (core/storage/connector.ts): the hypervisor only attaches the devices they prepared.
 */
import type { Segmentation } from '../../contracts/network.js';
import type { IscsiTarget } from '../../contracts/storage.js';

/** The driver names NIMBUS_HYPERVISOR accepts. */
export const HYPERVISOR_TYPES = ['fake', 'qemu'] as const;
export type HypervisorType = (typeof HYPERVISOR_TYPES)[number];

/** A host's capacity as its driver sees it (Nova's `get_available_resource`). */
export interface HostResources {
  vcpus: number;
  ramMb: number;
  diskGb: number;
  /** e.g. 'fake', 'qemu': shown to operators, as Nova's hypervisor_type. */
  hypervisorType: string;
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

/** A port as the hypervisor attaches it: the guest NIC and the host device the VIF driver made. */
export interface VifSpec {
  portId: string;
  mac: string;
  ip: string;
  networkId: string;
  segmentation: Segmentation;
  /** Host-side tap device backing the guest NIC (from the port's binding). */
  tapDevice: string;
  /** The bridge the tap joins; null for a bare tap (vifType 'tap'). */
  bridge: string | null;
}

/** A volume as the hypervisor attaches it: what the connector made of its connection. */
export interface VolumeAttachSpec {
  volumeId: string;
  /** The target the disk is read from; no secrets (those are in `auth`, never recorded). */
  connection: IscsiTarget;
  /** What a QEMU driver opens (libiscsi): iscsi://portal/iqn/lun. */
  uri?: string;
  auth?: { username: string; secret: string };
}

export type DomainState = 'running' | 'shutoff';

export type PluggedVif = VifSpec;

export interface AttachedVolume {
  volumeId: string;
  connection: IscsiTarget;
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
  /** Prepares the host once at agent start (Nova's `init_host`): state folders, probes. */
  initHost(): Promise<void>;
  /** The host's capacity; the agent's flags override any of it. */
  getHostResources(): Promise<HostResources>;
  /** Defines and starts the domain. A second spawn with the same spec is a no-op. */
  spawn(spec: DomainSpec, opts?: OperationOptions): Promise<Domain>;
  /** Stops and undefines the domain with its VIFs and attachments; a missing domain is a no-op. */
  destroy(instanceId: string, opts?: OperationOptions): Promise<void>;
  /** Attaches the prepared host device to the domain; an already plugged port is a no-op. */
  plugVif(instanceId: string, vif: VifSpec, opts?: OperationOptions): Promise<PluggedVif>;
  /** Unplugs one port, or every port when portId is omitted; missing domain or port is a no-op. */
  unplugVif(instanceId: string, portId?: string, opts?: OperationOptions): Promise<void>;
  /** Attaches the volume; an attached volume returns the device it already has. */
  attachVolume(instanceId: string, vol: VolumeAttachSpec, opts?: OperationOptions): Promise<{ device: string }>;
  /** Detaches the volume; missing domain or attachment is a no-op. */
  detachVolume(instanceId: string, volumeId: string, opts?: OperationOptions): Promise<void>;
  /** Stops the guest and keeps the domain and its disk (Nova's `power_off`); a stopped domain is a no-op. */
  powerOff(instanceId: string, opts?: OperationOptions): Promise<void>;
  /** Starts a stopped domain on the same disk (Nova's `power_on`); a running domain is a no-op. */
  powerOn(instanceId: string, opts?: OperationOptions): Promise<void>;
  /** Resets a running guest, starts a stopped one (Nova's hard `reboot`). */
  reboot(instanceId: string, opts?: OperationOptions): Promise<void>;
  /** Every domain this node has, for reconciliation after a restart. */
  listDomains(): Promise<Domain[]>;
  getDomain(instanceId: string): Promise<Domain | null>;
  /** The last `lines` lines of the guest's console (Nova's `get_console_output`); DomainNotFound if none. */
  getConsoleOutput(instanceId: string, lines: number): Promise<string>;
}
