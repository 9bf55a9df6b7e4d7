import { ApplicationFailure, Context } from '@temporalio/activity';
import { FaultCodes } from '../../contracts/errors.js';

/** The faults a test arms in the fake cloud (fake-cloud.ts), as rules per queue and activity. */

export type InjectionMode =
  /** The host says no: non-retryable HostRefused. */
  | 'refuse'
  /** A failure no retry fixes: non-retryable ApplicationFailure of `type`. */
  | 'fatal'
  /** A plain Error: Temporal retries it under the activity's retry policy. */
  | 'error'
  /** Runs until cancelled (or for `ms`), heartbeating so a cancellation arrives; ends cancelled. */
  | 'hang';

export interface FaultRule {
  queue: string;
  activity: string;
  mode: InjectionMode;
  /** For 'fatal' (and typed host failures): the ApplicationFailure type. */
  type?: string;
  /** How many calls fail (default: every call). */
  times?: number;
  /** How many matching calls pass before the fault starts (default 0). */
  skip?: number;
  /** For 'hang': finish normally after this long unless cancelled first (default: never). */
  ms?: number;
  /** 'after': the step's effect happens first (a domain defined, then the boot fails). */
  when?: 'before' | 'after';
}

/** The armed rules, each counting down its skips and its firings. */
export class FaultPlan {
  private readonly rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, times: rule.times ?? Infinity, skip: rule.skip ?? 0 });
  }

  /** The rule that fails this call, if any, counted as used. */
  take(queue: string, activity: string): FaultRule | undefined {
    const rule = this.rules.find((f) => f.queue === queue && f.activity === activity && f.times! > 0);
    if (!rule) return undefined;
    if (rule.skip! > 0) {
      rule.skip! -= 1;
      return undefined;
    }
    rule.times! -= 1;
    return rule;
  }
}

/** Makes the call fail, or hang, as the rule says (nothing without a rule). */
export async function applyInjection(rule: FaultRule | undefined, queue: string, activity: string): Promise<void> {
  if (!rule) return;
  const where = `${activity} on ${queue}`;
  switch (rule.mode) {
    case 'refuse':
      throw ApplicationFailure.nonRetryable(`${queue} has not enough free room`, FaultCodes.HostRefused);
    case 'fatal':
      throw ApplicationFailure.nonRetryable(`${where} failed: ${rule.type}`, rule.type ?? FaultCodes.InternalError);
    case 'error':
      throw new Error(`${where} failed (injected)`);
    case 'hang': {
      const ctx = Context.current();
      // A local activity (the records) has no heartbeats: its cancellation comes without them.
      const beat = () => (ctx.info.isLocal ? undefined : ctx.heartbeat());
      beat();
      const timer = setInterval(beat, 50);
      const slow = rule.ms === undefined ? [] : [new Promise((resolve) => setTimeout(resolve, rule.ms))];
      try {
        await Promise.race([ctx.cancelled, ...slow]); // `cancelled` rejects with CancelledFailure.
      } finally {
        clearInterval(timer);
      }
    }
  }
}
