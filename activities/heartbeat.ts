import { Context } from '@temporalio/activity';

/** The most time between two heartbeats; shorter when the step's heartbeat timeout is short. */
const MAX_INTERVAL_MS = 2000;

/**
 * Heartbeats while a host-side step runs. The heartbeat says "this agent is alive", not
 * "this step progresses": that is how a cancellation (DELETE during a build) reaches the
 * step, and how a crashed agent is noticed within the heartbeat timeout and the step
 * retried by its restarted agent. A step that hangs inside a live agent keeps
 * heartbeating on purpose — stopping would make a slow but healthy step indistinguishable
 * from a dead agent — and is bounded by its start-to-close timeout instead
 * (workflows/activity-options.ts). Beats come at least three times per heartbeat timeout,
 * so a short timeout (tests) is never missed by a healthy agent.
 */
export async function withHeartbeat<T>(
  run: (signal: AbortSignal) => Promise<T>,
  everyMs = MAX_INTERVAL_MS,
): Promise<T> {
  const ctx = Context.current();
  const timeoutMs = ctx.info.heartbeatTimeoutMs;
  const interval = timeoutMs ? Math.max(100, Math.min(everyMs, Math.floor(timeoutMs / 3))) : everyMs;
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), interval);
  try {
    return await run(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
