import { Context } from '@temporalio/activity';

/**
 * Heartbeats while a host-side step runs: that is how a cancellation (DELETE during a
 * build) reaches the step, and how a hung step is noticed through the heartbeat timeout.
 */
export async function withHeartbeat<T>(run: (signal: AbortSignal) => Promise<T>, everyMs = 2000): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await run(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
