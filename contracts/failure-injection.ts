/**
 * Failure injection for tests and demos (DESIGN: `PUT /v1/admin/hosts/{host}/faults`). An
 * injection makes a host step fail, hang or kill its agent; what the user then sees is the
 * instance's fault. "Fault" means that user-visible outcome only: the armed thing is an
 * injection. The API, the compute agent and the drivers' wrapper share these names.
 */

/** The host-side steps an injection can target. */
export const INJECTION_STEPS = [
  'spawn',
  'destroy',
  'plug_vif',
  'unplug_vif',
  'attach_volume',
  'detach_volume',
  'claim',
  'pull_image',
  'power_off',
  'power_on',
  'reboot',
] as const;
export type InjectionStep = (typeof INJECTION_STEPS)[number];

/** error: the step throws InjectedFault; hang: it never returns; crash: the agent exits there. */
export const INJECTION_MODES = ['error', 'hang', 'crash'] as const;
export type InjectionMode = (typeof INJECTION_MODES)[number];

/** One armed injection. */
export interface FailureInjection {
  step: InjectionStep;
  mode: InjectionMode;
  /** How many more times it fires; each firing decrements it and at 0 it is spent. */
  times: number;
}

/** An injection as its host holds it: `times` left (0 once spent: it stays listed), and when it was armed. */
export interface ArmedFault extends FailureInjection {
  armedAt: string;
}

/** What the API asks a host's agent about its injections (workflow HostFaults). */
export type HostFaultsRequest = { action: 'list' } | { action: 'clear' } | { action: 'arm'; fault: FailureInjection };

export type HostFaultsInput = HostFaultsRequest & {
  host: string;
  /** How long the host may take to pick the request up: a dead host must answer quickly. */
  hostPickupTimeoutSec?: number;
};
