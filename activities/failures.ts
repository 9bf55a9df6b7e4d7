import { ApplicationFailure } from '@temporalio/activity';
import { DomainError } from '../core/errors.js';

/**
 * Runs a domain call and classifies what it throws: a DomainError becomes an
 * ApplicationFailure of the same type (non-retryable unless the domain says otherwise),
 * anything else stays retryable (a lost connection, a deadlock, a crash in a library).
 */
export async function classified<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const code = (err as { code?: unknown })?.code;
  if (err instanceof DomainError) {
    return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !err.retryable, details: [err.details], cause: err });
  }
  // Errors of core/ that carry a fault code without being DomainErrors (image cache, driver).
  if (err instanceof Error && typeof code === 'string' && /^[A-Z][A-Za-z]+$/.test(code)) {
    const retryable = (err as { retryable?: boolean }).retryable ?? false;
    return ApplicationFailure.create({ type: code, message: err.message, nonRetryable: !retryable, cause: err });
  }
  return err;
}
