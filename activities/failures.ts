import { ApplicationFailure } from '@temporalio/activity';
import { FaultCodes, isDriverCode, isErrorCode, isPermanent } from '../contracts/errors.js';

/**
 * Runs a domain call and classifies what it throws (see toApplicationFailure): the saga
 * sees a stable failure type, and Temporal retries what is worth retrying.
 */
export async function classified<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

/**
 * By the error's code and nothing else. A code of our vocabulary (contracts/errors.ts)
 * becomes an ApplicationFailure of that type, non-retryable only when the code is listed
 * as permanent; a driver's code becomes HostStepFailed with the driver's code in the
 * message and details. Any other error (ECONNREFUSED, ECONNRESET, ENOSPC, PostgreSQL's
 * 57P01 after a restart, a crash in a library) is left as it is: Temporal retries it.
 */
export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || !isErrorCode(code)) return err;
  const details = { ...(err as { details?: Record<string, unknown> }).details };
  const nonRetryable = isPermanent(code);
  if (isDriverCode(code)) {
    return ApplicationFailure.create({
      type: FaultCodes.HostStepFailed,
      message: `${code}: ${err.message}`,
      nonRetryable,
      details: [{ ...details, driverCode: code }],
      cause: err,
    });
  }
  return ApplicationFailure.create({ type: code, message: err.message, nonRetryable, details: [details], cause: err });
}
