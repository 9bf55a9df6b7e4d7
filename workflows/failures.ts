import { ActivityFailure, ApplicationFailure, TimeoutFailure, isCancellation } from '@temporalio/workflow';
import { FATAL_FAULTS, FaultCodes } from '../contracts/errors.js';
import type { AttemptOutcome, BuildStep, Fault } from '../contracts/instances.js';

/** The failure type an activity reported (`instanceof` does not cross the boundary: names do). */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return cause.type ?? undefined;
  return undefined;
}

export function failureMessage(err: unknown): string {
  let e: unknown = err;
  // The activity's own message is the useful one; the wrappers only say "activity failed".
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof TimeoutFailure) return `timed out (${e.timeoutType ?? 'unknown'})`;
  return e instanceof Error ? e.message : String(e);
}

/** The host never picked the task up: dead, or not running its agent. */
export function isHostUnreachable(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_START';
}

/**
 * The host's agent did not answer the step: it never picked it up (dead), or picked it up and
 * then missed a heartbeat (frozen, or crashed on every attempt). Such a host is suspect.
 */
export function isHostUnresponsive(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return (
    cause instanceof TimeoutFailure && (cause.timeoutType === 'SCHEDULE_TO_START' || cause.timeoutType === 'HEARTBEAT')
  );
}

export function attemptOutcome(err: unknown): AttemptOutcome {
  if (failureType(err) === FaultCodes.HostRefused) return 'refused';
  if (isHostUnresponsive(err)) return 'timeout';
  return 'failed';
}

/** A failure no other host would fix: abort the build instead of rescheduling. */
export function isFatal(err: unknown): boolean {
  return isCancellation(err) || FATAL_FAULTS.has(failureType(err) ?? '') || failureType(err) === FaultCodes.NoValidHost;
}

/** Carries the step and host on which a saga step failed, for the instance's fault. */
export class StepFailure {
  constructor(
    readonly step: BuildStep,
    readonly host: string | null,
    readonly error: unknown,
  ) {}
}

export function toFault(err: unknown): Fault {
  if (err instanceof StepFailure) {
    const inner = toFault(err.error);
    return { ...inner, step: err.step, host: inner.host ?? err.host };
  }
  if (isCancellation(err))
    return { code: FaultCodes.BuildCancelled, message: 'the build was cancelled', step: null, host: null };
  const type = failureType(err);
  if (type && type !== 'Error') return { code: type, message: failureMessage(err), step: null, host: null };
  if (isHostUnreachable(err))
    return {
      code: FaultCodes.HostStepFailed,
      message: `host did not answer: ${failureMessage(err)}`,
      step: null,
      host: null,
    };
  // A host step that hung (start-to-close) or whose agent died (heartbeat) on every attempt.
  const timeout = err instanceof ActivityFailure ? err.cause : undefined;
  if (timeout instanceof TimeoutFailure) {
    const why =
      timeout.timeoutType === 'HEARTBEAT'
        ? 'the host stopped heartbeating (its agent died)'
        : 'the step did not finish in time';
    return { code: FaultCodes.HostStepFailed, message: `${why}: ${failureMessage(err)}`, step: null, host: null };
  }
  return { code: FaultCodes.InternalError, message: failureMessage(err), step: null, host: null };
}
