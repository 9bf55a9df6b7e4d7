import { DomainError } from '../../errors.js';

/**
 * The QEMU driver's refusals and failures, with stable codes. A refusal of the spec is not
 * retryable (the same flavor would be refused again); a QEMU that failed to start may be.
 */

/** The flavor or the instance id cannot be booted by QEMU as asked. */
export const QemuSpecInvalid = 'QemuSpecInvalid';
/** QEMU exited at start, or never reported `running`. */
export const QemuStartFailed = 'QemuStartFailed';
/** A QMP command for a running guest failed (hot-plug refused, device never released). */
export const QemuDeviceFailed = 'QemuDeviceFailed';

export function specInvalid(instanceId: string, why: string): DomainError {
  return new DomainError(QemuSpecInvalid, `instance ${instanceId}: ${why}`, false, { instanceId });
}

export function startFailed(instanceId: string, why: string, consoleTail = ''): DomainError {
  const detail = consoleTail ? `${why}; console: ${consoleTail}` : why;
  return new DomainError(QemuStartFailed, `QEMU for instance ${instanceId}: ${detail}`, true, { instanceId });
}

export function deviceFailed(instanceId: string, why: string): DomainError {
  return new DomainError(QemuDeviceFailed, `instance ${instanceId}: ${why}`, true, { instanceId });
}
