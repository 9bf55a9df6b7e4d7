/**
 * Failure injection for tests and demos (DESIGN: `PUT /v1/admin/hosts/{host}/faults`).
 * The driver wrapper and the compute agent call `before(step)` at the start of each
 * host-side step; an armed injection then fails, hangs or kills the process right there.
 * The interface is one method so the host's own store (core/failure-injection/host-fault-store.ts)
 * can implement it by taking one firing from its file, then calling `applyInjection`.
 */

import { FaultCodes } from '../../contracts/errors.js';
import {
  INJECTION_MODES,
  INJECTION_STEPS,
  type FailureInjection,
  type InjectionMode,
  type InjectionStep,
} from '../../contracts/failure-injection.js';
import { DomainError } from '../errors.js';

export { INJECTION_MODES, INJECTION_STEPS, type FailureInjection, type InjectionMode, type InjectionStep };

export interface InjectionContext {
  instanceId: string;
  /** Releases a 'hang' (and a driver's delay) when the activity is cancelled or times out. */
  signal?: AbortSignal;
}

export interface FailureInjector {
  before(step: InjectionStep, ctx: InjectionContext): Promise<void>;
}

/** Thrown by an 'error' fault (and after a 'crash' whose callback returned, in tests). */
export class InjectedFailure extends DomainError {
  constructor(
    readonly step: InjectionStep,
    readonly mode: InjectionMode,
    readonly instanceId: string,
  ) {
    // The user sees the fault it causes, InjectedFault, at that step.
    super(FaultCodes.InjectedFault, `injected ${mode} fault at ${step} for instance ${instanceId}`, {
      step,
      mode,
      instanceId,
    });
  }
}

/** What 'crash' does by default: die as if SIGKILLed (137 = 128 + 9), leaving state as is. */
export function exitProcess(): never {
  process.exit(137);
}

/**
 * Carries out one fault that has fired. Shared by every FailureInjector so 'hang' and
 * 'crash' behave the same whichever store armed them.
 */
export function applyInjection(
  fault: Pick<FailureInjection, 'step' | 'mode'>,
  ctx: InjectionContext,
  crash: () => void,
): Promise<void> {
  switch (fault.mode) {
    case 'error':
      return Promise.reject(new InjectedFailure(fault.step, fault.mode, ctx.instanceId));
    case 'crash':
      crash();
      // Only reached when a test replaced the crash: the step must still not happen.
      return Promise.reject(new InjectedFailure(fault.step, fault.mode, ctx.instanceId));
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

export function validateInjection(fault: FailureInjection): FailureInjection {
  if (!(INJECTION_STEPS as readonly string[]).includes(fault.step)) {
    throw new RangeError(`unknown fault step ${String(fault.step)}`);
  }
  if (!(INJECTION_MODES as readonly string[]).includes(fault.mode)) {
    throw new RangeError(`unknown fault mode ${String(fault.mode)}`);
  }
  if (!Number.isInteger(fault.times) || fault.times < 1) {
    throw new RangeError(`fault times must be a positive integer (got ${fault.times})`);
  }
  return fault;
}

export const NoInjections: FailureInjector = {
  before: () => Promise.resolve(),
};

/** Faults held in memory: unit tests, and a single-process demo. */
export class InMemoryFailureInjector implements FailureInjector {
  private faults: FailureInjection[];
  private readonly crash: () => void;

  constructor(faults: FailureInjection[] = [], opts: { crash?: () => void } = {}) {
    this.faults = faults.map((f) => ({ ...validateInjection(f) }));
    this.crash = opts.crash ?? exitProcess;
  }

  add(fault: FailureInjection): void {
    this.faults.push({ ...validateInjection(fault) });
  }

  /** Disarms every fault, or those of one step. */
  clear(step?: InjectionStep): void {
    this.faults = step ? this.faults.filter((f) => f.step !== step) : [];
  }

  /** The faults still armed, with their remaining counts. */
  list(): FailureInjection[] {
    return this.faults.map((f) => ({ ...f }));
  }

  before(step: InjectionStep, ctx: InjectionContext): Promise<void> {
    const fault = this.faults.find((f) => f.step === step);
    if (!fault) return Promise.resolve();
    fault.times -= 1;
    if (fault.times <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return applyInjection(fault, ctx, this.crash);
  }
}
