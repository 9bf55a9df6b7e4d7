import type { DomainPowerState } from './activities.js';

/**
 * Power state, as Nova's `power_state` (nova/compute/power_state.py): what the hypervisor
 * last said about the guest, next to the status the user acted on. Numbers, as Nova stores them.
 */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;
export type PowerStateCode = (typeof PowerState)[keyof typeof PowerState];

/** The power state of a domain the driver reports ('running' | 'shutoff'). */
export function powerStateOf(state: DomainPowerState): PowerStateCode {
  return state === 'running' ? PowerState.RUNNING : PowerState.SHUTDOWN;
}

/** `POST /v1/instances/{id}/actions` `{"action": ...}`: Nova's os-stop, os-start and reboot. */
export const POWER_ACTIONS = ['stop', 'start', 'reboot'] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** The task state an instance shows while its power action runs (Nova's task_states). */
export const TASK_STATE_OF_ACTION = {
  stop: 'powering-off',
  start: 'powering-on',
  reboot: 'rebooting',
} as const;

/** The status an action may start from: stop and reboot need a running guest, start a stopped one. */
export const STATUS_BEFORE_ACTION = { stop: 'ACTIVE', start: 'SHUTOFF', reboot: 'ACTIVE' } as const;

export interface PowerActionInput {
  instanceId: string;
  host: string;
  action: PowerAction;
  hostPickupTimeoutSec?: number;
  hostStepTimeoutSec?: number;
  hostHeartbeatTimeoutSec?: number;
}

export interface PowerActionResult {
  status: 'ACTIVE' | 'SHUTOFF';
  powerState: PowerStateCode;
}

/** The console read (Nova's os-getConsoleOutput) runs as a tiny workflow on the host's queue. */
export interface ConsoleInput {
  instanceId: string;
  host: string;
  lines: number;
  /** How long the host may take to pick the read up: a dead host must answer quickly. */
  hostPickupTimeoutSec?: number;
}

export interface ConsoleOutput {
  output: string;
}
