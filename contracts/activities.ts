import type { Attempt, BuildStep, Fault, FlavorSpec, ImageRef, InstanceStatus, TaskState } from './instances.js';
import type { DhcpActivities, ServedNetwork } from './dhcp.js';
import type { ArmedFault, FailureInjection } from './failure-injection.js';
import type { PortInfo } from './network.js';
import type { IscsiConnection, StoredVolume, VolumeInfo } from './storage.js';

// The port and the volume are written once, in network.ts and storage.ts; re-exported for the workflows.
export type { DhcpActivities, PortInfo, VolumeInfo };

/** The shapes of every activity, so workflows can proxy them without importing implementations. */

export interface HostChoice {
  host: string;
}

export interface SelectHostInput {
  instanceId: string;
  flavor: FlavorSpec;
  excludeHosts: string[];
}

export interface SchedulerActivities {
  /** Picks a host from the database (filters and weighers), excluding hosts already tried; fails NoValidHost. */
  selectHost(input: SelectHostInput): Promise<HostChoice>;
  /** Returns the claim's resources to the host. Runs on the scheduler queue so it works while the host is dead. */
  releaseClaim(input: ReleaseClaimInput): Promise<void>;
}

export interface ReleaseClaimInput {
  instanceId: string;
  /**
   * The scheduling attempt whose claim this undoes: only a claim of that attempt or an earlier
   * one is released, and a claim of it arriving later is refused (fenced). Unset (a delete):
   * any claim, and every attempt is fenced.
   */
  attemptNo?: number;
  /** The host left the claim unanswered (frozen or dead agent): mark it suspect, skipped until it heartbeats. */
  suspectHost?: string;
}

export interface ClaimInput {
  instanceId: string;
  flavor: FlavorSpec;
  /** The build's scheduling attempt (1-based): once released, a late claim of it is refused. Unset in old histories. */
  attemptNo?: number;
}

export interface ComputeActivities {
  /**
   * The host checks its own free room (its ledger, never the database) and claims it
   * atomically; fails HostRefused. The control plane records the claim afterwards (recordClaim).
   */
  claimResources(input: ClaimInput): Promise<void>;
  /** Gives the claim back in the host's ledger, fenced as ReleaseClaimInput says; harmless twice. */
  releaseHostClaim(input: { instanceId: string; attemptNo?: number }): Promise<void>;
  /** Downloads the image straight from the image service into the node cache. */
  pullImage(input: { instanceId: string; image: ImageRef }): Promise<{ cached: boolean }>;
  spawnDomain(input: { instanceId: string; name: string; flavor: FlavorSpec; image: ImageRef }): Promise<void>;
  destroyDomain(input: { instanceId: string }): Promise<void>;
  plugVif(input: { instanceId: string; port: PortInfo }): Promise<void>;
  unplugVif(input: { instanceId: string }): Promise<void>;
  attachVolume(input: { instanceId: string; volume: VolumeInfo }): Promise<{ device: string }>;
  detachVolume(input: { instanceId: string; volumeId: string }): Promise<void>;
}

/** What a domain's power looks like from the host: the driver's DomainState. */
export type DomainPowerState = 'running' | 'shutoff';

/** Power actions and the console read on one compute host (queue `compute.HOST`). */
export interface PowerActivities {
  /** Stops the guest, keeping its disk; a stopped domain stays stopped. */
  powerOffDomain(input: { instanceId: string }): Promise<{ state: DomainPowerState }>;
  /** Starts the guest again on the same disk; a running domain is left running. */
  powerOnDomain(input: { instanceId: string }): Promise<{ state: DomainPowerState }>;
  /** Resets the guest (a hard reboot); a stopped one is started. */
  rebootDomain(input: { instanceId: string }): Promise<{ state: DomainPowerState }>;
  /** The last `lines` lines of the guest's console. */
  getConsoleOutput(input: { instanceId: string; lines: number }): Promise<{ output: string }>;
}

/** The failure injections a compute host holds (queue `compute.HOST`); each answers what the host now holds. */
export interface HostFaultActivities {
  /** Arms (or re-arms) the injection of one step. */
  armHostFault(input: { fault: FailureInjection }): Promise<ArmedFault[]>;
  listHostFaults(): Promise<ArmedFault[]>;
  /** Disarms every injection of the host. */
  clearHostFaults(): Promise<ArmedFault[]>;
}

/**
 * The records a build held before a control-plane step, with that step's own start: the step's
 * adapter writes them (RecordsActivities.recordBatch) before its work, which saves the build a
 * local activity. Idempotent, as any record: a retried step writes them again harmlessly.
 */
export interface CarriedRecords {
  records?: BatchedRecord[];
}

export interface NetworkActivities {
  /** Allocates (or returns the existing) port of the instance on the network: IP, MAC, segmentation. */
  allocatePort(input: { instanceId: string; networkId: string; host: string } & CarriedRecords): Promise<PortInfo>;
  deallocatePort(input: { instanceId: string }): Promise<void>;
  /** Every network with ports, with each port's reservation: what the network node should serve. */
  listDhcpReservations(): Promise<ServedNetwork[]>;
}

export interface StorageActivities {
  /** Creates (or returns) the volume with this id and exports it as an iSCSI target. */
  createVolume(
    input: { volumeId: string; instanceId: string; projectId: string; sizeGb: number } & CarriedRecords,
  ): Promise<VolumeInfo>;
  /**
   * Volumes the instance owns (delete on termination). A no-op when the volume belongs to, or
   * is attached to, another instance. `instanceId` is absent only in workflows started before
   * volume changes were scoped (unscoped then).
   */
  deleteVolume(input: { volumeId: string; instanceId?: string }): Promise<void>;
  /**
   * Reserves an existing available standalone volume of the project for the instance on its
   * host (status attaching); fails VolumeNotAvailable. Keyed by (volume, instance).
   */
  reserveVolume(
    input: { volumeId: string; instanceId: string; projectId: string; host: string } & CarriedRecords,
  ): Promise<VolumeInfo>;
  /** Undoes this instance's reservation: the volume is available again, never deleted. */
  unreserveVolume(input: { volumeId: string; instanceId: string }): Promise<void>;
  /** Ids of the volumes attached to an instance, with whether the instance owns them. */
  listInstanceVolumes(input: {
    instanceId: string;
  }): Promise<Array<{ volumeId: string; deleteOnTermination: boolean; pool?: string }>>;
  /** Ids of every volume that is not deleted: what a storage node may keep (its reconciliation). */
  listLiveVolumes(): Promise<string[]>;
  /**
   * Marks a detached volume available again (a standalone one survives its instance): only
   * this instance's attachment is released; one another instance holds since is left alone.
   */
  markVolumeDetached(input: { volumeId: string; instanceId?: string }): Promise<void>;
}

/**
 * The storage node's half of a volume (Cinder-volume with tgt): the file and the target,
 * keyed by the volume id. The control plane's half (records, pools, CHAP secrets) is
 * StorageActivities; the workflow passes the recorded export from one to the other.
 */
export interface StorageNodeActivities {
  /**
   * Makes the volume's file (kept if it exists), exports it with the recorded target and
   * CHAP credentials, and lets `host`'s initiator in (the target's ACL).
   */
  exportVolume(input: { volume: StoredVolume; connection: IscsiConnection; host: string }): Promise<void>;
  /** `host`'s initiator is no longer let in; the target and the file stay. */
  unexportVolume(input: { volumeId: string; host: string }): Promise<void>;
  /** Removes the target, its CHAP account and the file; a missing volume is a no-op. */
  destroyVolume(input: { volumeId: string; pool?: string }): Promise<void>;
  /** Removes the targets and files of volumes not in `liveVolumeIds`; returns their ids. */
  reconcileVolumes(input: { liveVolumeIds: string[] }): Promise<{ removed: string[] }>;
}

/** A step's action row opened or closed (RecordsActivities.recordStep). */
export interface StepRecord {
  instanceId: string;
  step: BuildStep | string;
  host: string | null;
  phase: 'start' | 'succeeded' | 'failed' | 'compensated';
  taskState?: TaskState | null;
  message?: string | null;
  /**
   * When the step started or ended, by the workflow's clock (ISO 8601). A record held back
   * and written with a later one keeps its own time; without it the row takes the database's.
   */
  at?: string;
}

export interface RecordsActivities {
  /** Opens or closes the action row of a step and, with taskState, moves the instance's task state. */
  recordStep(input: StepRecord): Promise<void>;
  /** Several recordStep in order, in one call: a step's end with the next one's start. */
  recordSteps(input: { steps: StepRecord[] }): Promise<void>;
  /**
   * Several records of the kinds below, in order, in one call. One that can be refused
   * (RefusableRecord) comes last: a refusal fails the call after the others are written.
   */
  recordBatch(input: { records: BatchedRecord[] }): Promise<void>;
  recordTaskState(input: {
    instanceId: string;
    status?: InstanceStatus;
    taskState: TaskState | null;
    host?: string | null;
  }): Promise<void>;
  recordAttempt(input: { instanceId: string; attemptNo: number; attempt: Attempt }): Promise<void>;
  recordActive(input: { instanceId: string; host: string }): Promise<void>;
  recordFault(input: { instanceId: string; fault: Fault }): Promise<void>;
  recordDeleted(input: { instanceId: string }): Promise<void>;
  /** The outcome of a power action: status, power state (Nova's numbers), task state cleared. */
  recordPowerState(input: { instanceId: string; status: 'ACTIVE' | 'SHUTOFF'; powerState: number }): Promise<void>;
  /**
   * A claim its host granted, recorded in the host's usage: conditional and fenced like the
   * host's own, so a host whose ledger and record disagree is refused (HostRefused), not overcommitted.
   */
  recordClaim(input: ClaimInput & { host: string }): Promise<void>;
  /** The port's status once its host plugged (active) or unplugged (down) it. */
  recordPortStatus(input: { instanceId: string; status: 'active' | 'down' }): Promise<void>;
  /** The volume is in use by the instance, at `device` on `host`, once the host attached it. */
  recordVolumeAttached(input: { volumeId: string; instanceId: string; host: string; device: string }): Promise<void>;
  /** Only this instance's attachment is released, once its host detached it. */
  recordVolumeDetached(input: { volumeId: string; instanceId: string }): Promise<void>;
}

/** The records a batch may hold: writes that cannot be refused, so none waits for an answer. */
export type BatchableRecord =
  | 'recordStep'
  | 'recordTaskState'
  | 'recordAttempt'
  | 'recordActive'
  | 'recordFault'
  | 'recordDeleted'
  | 'recordPowerState'
  | 'recordPortStatus';

/** Records the control plane may refuse (a host's usage, a volume held by another instance). */
export type RefusableRecord = 'recordClaim' | 'recordVolumeAttached' | 'recordVolumeDetached';

/** One record of a batch: which record, and its input. */
export type BatchedRecord = {
  [K in BatchableRecord | RefusableRecord]: { name: K; input: Parameters<RecordsActivities[K]>[0] };
}[BatchableRecord | RefusableRecord];

/** The benchmark floor's activity, registered on every worker (activities/noop.ts). */
export interface NoopActivities {
  noop(): Promise<void>;
}
