import { DriverCodes } from '../../../contracts/errors.js';
import { DomainError } from '../../errors.js';

/**
 * The QEMU driver's refusals and failures, with codes from contracts/errors.ts DriverCodes
 * (all permanent there: the compute activity reports them as HostStepFailed, and another
 * host may succeed). QMP timeouts and socket errors stay plain errors, which are retried.
 */

export const QemuSpecInvalid = DriverCodes.QemuSpecInvalid;
export const QemuStartFailed = DriverCodes.QemuStartFailed;
export const QemuDeviceFailed = DriverCodes.QemuDeviceFailed;
export const GuestBootFailed = DriverCodes.GuestBootFailed;

export function specInvalid(instanceId: string, why: string): DomainError {
  return new DomainError(QemuSpecInvalid, `instance ${instanceId}: ${why}`, { instanceId });
}

export function startFailed(instanceId: string, why: string, consoleTail = ''): DomainError {
  const detail = consoleTail ? `${why}; console: ${consoleTail}` : why;
  return new DomainError(QemuStartFailed, `QEMU for instance ${instanceId}: ${detail}`, { instanceId, consoleTail });
}

export function deviceFailed(instanceId: string, why: string): DomainError {
  return new DomainError(QemuDeviceFailed, `instance ${instanceId}: ${why}`, { instanceId });
}

export function guestBootFailed(instanceId: string, why: string, consoleTail = ''): DomainError {
  const detail = consoleTail ? `${why}; console: ${consoleTail}` : why;
  return new DomainError(GuestBootFailed, `guest ${instanceId}: ${detail}`, { instanceId, consoleTail });
}
