import { WorkflowFailedError } from '@temporalio/client';

/**
 * The innermost message of a failed one-activity workflow (activity → application or timeout
 * failure), for a problem's detail: a host that never picked the task up shows as such.
 */
export function failureText(err: unknown): string {
  let e: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  const timeoutType = (e as { timeoutType?: string | null }).timeoutType;
  if (timeoutType) return `the host did not answer (${timeoutType})`;
  return e instanceof Error ? e.message : String(e);
}
