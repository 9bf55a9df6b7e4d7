import type { FaultCode } from './errors.js';

/** Nova's statuses; SHUTOFF is a built instance whose guest is not running (stopped, or its hypervisor died). */
export type InstanceStatus = 'BUILD' | 'ACTIVE' | 'SHUTOFF' | 'ERROR' | 'DELETED';
export type TaskState =
  | 'scheduling'
  | 'pulling_image'
  | 'spawning'
  | 'networking'
  | 'attaching_volume'
  | 'deleting'
  | 'powering-off'
  | 'powering-on'
  | 'rebooting';

export type AttemptOutcome = 'claimed' | 'refused' | 'timeout' | 'failed';

/** The saga's steps, as they appear in instance actions, faults and fault injection. */
export type BuildStep =
  | 'schedule'
  | 'claim'
  | 'pull_image'
  | 'spawn'
  | 'allocate_port'
  | 'add_dhcp_reservation'
  | 'plug_vif'
  | 'create_volume'
  | 'reserve_volume'
  | 'export_volume'
  | 'attach_volume'
  | 'record_active';

/**
 * The task state (OpenStack's task_state) an instance shows from the start of each of
 * these steps; a step not listed keeps the state of the one before it.
 */
export const TASK_STATE_OF_STEP: Readonly<Partial<Record<BuildStep, TaskState>>> = {
  schedule: 'scheduling',
  pull_image: 'pulling_image',
  spawn: 'spawning',
  allocate_port: 'networking',
  create_volume: 'attaching_volume',
  reserve_volume: 'attaching_volume',
};

export interface FlavorSpec {
  id: string;
  name: string;
  vcpus: number;
  ramMb: number;
  diskGb: number;
}

export interface ImageRef {
  id: string;
  name: string;
  sha256: string;
  sizeBytes: number;
}

export interface NewVolumeRequest {
  sizeGb: number;
}

export interface ExistingVolumeRequest {
  volumeId: string;
}

export interface CreateInstanceInput {
  instanceId: string;
  projectId: string;
  name: string;
  flavor: FlavorSpec;
  image: ImageRef;
  networkId: string;
  /** A new volume of this size (deleted with the instance), or an existing standalone one (kept). */
  volume?: NewVolumeRequest | ExistingVolumeRequest;
  /** How long a host may take to pick up a task before it counts as dead (default 10 s). */
  hostPickupTimeoutSec?: number;
  /** Start-to-close of every host step (NIMBUS_HOST_STEP_TIMEOUT); unset: each step's own default. */
  hostStepTimeoutSec?: number;
  /** Heartbeat timeout of host steps (NIMBUS_HOST_HEARTBEAT_TIMEOUT); unset: the workflows' default. */
  hostHeartbeatTimeoutSec?: number;
}

export interface DeleteInstanceInput {
  instanceId: string;
  /** The host the instance was built on, if it got that far. */
  host: string | null;
  hostPickupTimeoutSec?: number;
  hostStepTimeoutSec?: number;
  hostHeartbeatTimeoutSec?: number;
}

export interface Attempt {
  host: string;
  outcome: AttemptOutcome;
  reason: string | null;
}

export interface Fault {
  code: FaultCode | string;
  message: string;
  step: BuildStep | null;
  host: string | null;
}

export interface StepProgress {
  step: BuildStep;
  host: string | null;
  startedAt: string;
  finishedAt: string | null;
  outcome: 'running' | 'succeeded' | 'failed';
}

export interface CompensationRun {
  name: string;
  /** deferred: the host never picked the undo up (dead); its agent's reconciliation cleans up. */
  outcome: 'succeeded' | 'failed' | 'deferred';
  error: string | null;
}

/**
 * One row of an instance's action log (`GET /v1/instances/{id}/actions`): a step of its
 * workflows, or an undo (`step` is `undo:<name>`), with the host it ran on and its timing.
 */
export interface ActionLogEntry {
  step: string;
  host: string | null;
  outcome: 'running' | 'succeeded' | 'failed' | 'compensated';
  message: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** What the `status` query answers while a build runs (and after it ends). */
export interface BuildProgress {
  instanceId: string;
  status: InstanceStatus;
  taskState: TaskState | null;
  host: string | null;
  steps: StepProgress[];
  attempts: Attempt[];
  compensations: CompensationRun[];
  fault: Fault | null;
}

export const STATUS_QUERY = 'status';
export const MAX_SCHEDULING_ATTEMPTS = 3;
