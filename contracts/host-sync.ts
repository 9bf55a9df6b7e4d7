import type { DomainPowerState } from './activities.js';

/**
 * What compute agents and the control plane say to each other, so that an agent never holds
 * database credentials (Nova's rule: compute nodes ask the conductor). An agent reports its
 * host (capacity at start, its domains) through the HostSync workflow and learns what the
 * host should have; it heartbeats by signalling its HostHeartbeats workflow.
 */

/** A host's capacity as its agent announces it: its driver's figures, with the operator's overrides. */
export interface HostCapacityReport {
  vcpus: number;
  ramMb: number;
  diskGb: number;
}

/** One domain the hypervisor really has. */
export interface DomainReport {
  /** The domain's name: an instance id, or anything else a leftover may be called. */
  instanceId: string;
  state: DomainPowerState;
}

/** One host's report. */
export interface HostReport {
  host: string;
  /**
   * When the agent sent it (ms since the epoch). A report delivered late (the controller was
   * down) never dates the host's liveness after it, so it cannot make a dead host look alive.
   */
  sentAt: number;
  /** Given at the agent's start: registers the host, or updates its row (usage is left alone). */
  capacity?: HostCapacityReport;
  /** What the agent's driver reports (getHostResources), e.g. 'fake', 'qemu/tcg'. */
  hypervisorType?: string;
  domains: DomainReport[];
}

/** An instance as the reconciliation needs it. */
export interface HostInstanceRow {
  id: string;
  status: string;
  host: string | null;
  taskState: string | null;
}

/** A claim recorded on the host (the scheduler's view of what the host holds). */
export interface HostClaim {
  instanceId: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
  /** The scheduling attempt that made it; null for claims made before attempts were recorded. */
  attemptNo: number | null;
  /** ISO 8601. */
  createdAt: string;
}

/** The control plane's answer for one host: what it should have, after the power-state sync. */
export interface HostDesiredState {
  host: string;
  /** The instances of the reported domains, and every ACTIVE instance of the host. */
  instances: HostInstanceRow[];
  /**
   * Reported shut off while ACTIVE with no task in flight (their QEMU died): the control plane
   * made them SHUTOFF, and `instances` already shows it.
   */
  shutoff: string[];
  /** The taps and bridges of the live ports on this host (anything else there is a leftover). */
  expectedDevices: { taps: string[]; bridges: string[] };
  /** Instances ACTIVE or SHUTOFF on this host: their images stay pinned in the node cache. */
  placedInstanceIds: string[];
  claims: HostClaim[];
}

/** HostSync's input: one report per host (an agent sends one; the simulated fleet a batch). */
export interface HostSyncInput {
  reports: HostReport[];
}

export interface HostSyncResult {
  /** One answer per report, in the reports' order. */
  hosts: HostDesiredState[];
  /**
   * Every instance still building, on any host: a build in flight keeps its image mark
   * wherever it is (it may not name its host yet). Once for the batch, not once per host.
   */
  building: string[];
}

/** The control-plane activity behind HostSync (scheduler queue). */
export interface HostSyncActivities {
  syncHosts(input: HostSyncInput): Promise<HostSyncResult>;
}

/** The signal an agent (or the simulated fleet, for all its hosts) sends its HostHeartbeats workflow. */
export const HOST_HEARTBEAT_SIGNAL = 'heartbeat';

export interface HostHeartbeatSignal {
  hosts: string[];
  /** When the agent sent it (ms since the epoch): the host's liveness is never dated after it. */
  sentAt: number;
}

/** One host's latest heartbeat. */
export interface HostHeartbeat {
  host: string;
  sentAt: number;
}

/** The local activity that records heartbeats (the workflow worker, which has the database). */
export interface HostHeartbeatActivities {
  recordHeartbeats(input: { beats: HostHeartbeat[] }): Promise<void>;
}

/** HostHeartbeats' input: empty when an agent starts it; what a run hands over to the next. */
export interface HostHeartbeatsInput {
  /** Heartbeats received but not yet recorded when the previous run continued as new. */
  pending?: HostHeartbeat[];
  /** Signals per run before it continues as new (a bounded history); tests make it small. */
  signalsPerRun?: number;
}
