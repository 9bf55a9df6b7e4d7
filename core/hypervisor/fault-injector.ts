/**
 * Fault injection for tests and demos (DESIGN: `PUT /v1/admin/hosts/{host}/faults`).
 * The driver and the compute agent call `before(step)` at the start of each host-side
 * step; an armed fault then fails, hangs or kills the process right there. The interface
 * is one method so a Postgres-backed store (shared by the API and the agents) can
 * implement it by finding and decrementing a fault row, then calling `applyFault`.
 */

export const FAULT_STEPS = [
  'spawn',
  'destroy',
  'plug_vif',
  'unplug_vif',
  'attach_volume',
  'detach_volume',
  'claim',
  'pull_image',
] as const;
export type FaultStep = (typeof FAULT_STEPS)[number];

export const FAULT_MODES = ['error', 'hang', 'crash'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface Fault {
  step: FaultStep;
  mode: FaultMode;
  /** How many more times it fires; each firing decrements it and at 0 it is spent. */
  times: number;
}

export interface FaultContext {
  instanceId: string;
  /** Releases a 'hang' (and a driver's delay) when the activity is cancelled or times out. */
  signal?: AbortSignal;
}

export interface FaultInjector {
  before(step: FaultStep, ctx: FaultContext): Promise<void>;
}

/** Thrown by an 'error' fault (and after a 'crash' whose callback returned, in tests). */
export class InjectedFault extends Error {
  override name = 'InjectedFault';
  readonly code = 'InjectedFault';
  constructor(
    readonly step: FaultStep,
    readonly mode: FaultMode,
    readonly instanceId: string,
  ) {
    super(`injected ${mode} fault at ${step} for instance ${instanceId}`);
  }
}

/** What 'crash' does by default: die as if SIGKILLed (137 = 128 + 9), leaving state as is. */
export function exitProcess(): never {
  process.exit(137);
}

/**
 * Carries out one fault that has fired. Shared by every FaultInjector so 'hang' and
 * 'crash' behave the same whichever store armed them.
 */
export function applyFault(fault: Pick<Fault, 'step' | 'mode'>, ctx: FaultContext, crash: () => void): Promise<void> {
  switch (fault.mode) {
    case 'error':
      return Promise.reject(new InjectedFault(fault.step, fault.mode, ctx.instanceId));
    case 'crash':
      crash();
      // Only reached when a test replaced the crash: the step must still not happen.
      return Promise.reject(new InjectedFault(fault.step, fault.mode, ctx.instanceId));
    case 'hang':
      return hang(ctx.signal);
  }
}

function hang(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((_resolve, reject) => {
    if (!signal) return; // hangs forever: only a timeout on the caller's side ends it
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export function validateFault(fault: Fault): Fault {
  if (!(FAULT_STEPS as readonly string[]).includes(fault.step)) {
    throw new RangeError(`unknown fault step ${String(fault.step)}`);
  }
  if (!(FAULT_MODES as readonly string[]).includes(fault.mode)) {
    throw new RangeError(`unknown fault mode ${String(fault.mode)}`);
  }
  if (!Number.isInteger(fault.times) || fault.times < 1) {
    throw new RangeError(`fault times must be a positive integer (got ${fault.times})`);
  }
  return fault;
}

export const NoFaults: FaultInjector = {
  before: () => Promise.resolve(),
};

/** Faults held in memory: unit tests, and a single-process demo. */
export class InMemoryFaultInjector implements FaultInjector {
  private faults: Fault[];
  private readonly crash: () => void;

  constructor(faults: Fault[] = [], opts: { crash?: () => void } = {}) {
    this.faults = faults.map((f) => ({ ...validateFault(f) }));
    this.crash = opts.crash ?? exitProcess;
  }

  add(fault: Fault): void {
    this.faults.push({ ...validateFault(fault) });
  }

  /** Disarms every fault, or those of one step. */
  clear(step?: FaultStep): void {
    this.faults = step ? this.faults.filter((f) => f.step !== step) : [];
  }

  /** The faults still armed, with their remaining counts. */
  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  before(step: FaultStep, ctx: FaultContext): Promise<void> {
    const fault = this.faults.find((f) => f.step === step);
    if (!fault) return Promise.resolve();
    fault.times -= 1;
    if (fault.times <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return applyFault(fault, ctx, this.crash);
  }
}
