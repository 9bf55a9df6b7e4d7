import { DriverCodes } from '../../contracts/errors.js';
import { DomainError } from '../errors.js';

/**
 * Driver failures, with codes from contracts/errors.ts DriverCodes. They never reach a
 * user as such: the compute activity reports them as HostStepFailed (another host may
 * succeed), keeping the driver's code in the message and the failure's details.
 */

export class DomainNotFoundError extends DomainError {
  constructor(readonly instanceId: string) {
    super(DriverCodes.DomainNotFound, `no domain for instance ${instanceId} on this node`, { instanceId });
  }
}

/** A second spawn for the same instance asked for something else: a bug, not a retry. */
export class DomainConflictError extends DomainError {
  constructor(
    readonly instanceId: string,
    detail: string,
  ) {
    super(DriverCodes.DomainConflict, `domain for instance ${instanceId} already exists with a different ${detail}`, {
      instanceId,
    });
  }
}

/** Spawn was asked to boot from an image file this node does not have (pull first). */
export class ImageNotCachedError extends DomainError {
  constructor(readonly imagePath: string) {
    super(DriverCodes.ImageNotCached, `image file ${imagePath} is not in this node's cache`, { imagePath });
  }
}
