import assert from 'node:assert/strict';
import { DomainError } from '../../core/errors.js';

/** For `assert.rejects` and `assert.throws`: a DomainError with this code and a message matching `message`. */
export function domainError(code: string, message: RegExp): (err: unknown) => true {
  return (err: unknown) => {
    assert.ok(err instanceof DomainError, `expected DomainError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}
