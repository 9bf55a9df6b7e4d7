/**
 * Driver failures. Their codes are not in contracts/errors.ts because they never reach
 * a user as such: the compute activity reports them as HostStepFailed (another host may
 * succeed) or InternalError (a bug), keeping the code in the message.
 */

export class DomainNotFoundError extends Error {
  override name = 'DomainNotFound';
  readonly code = 'DomainNotFound';
  constructor(readonly instanceId: string) {
    super(`no domain for instance ${instanceId} on this node`);
  }
}

/** A second spawn for the same instance asked for something else: a bug, not a retry. */
export class DomainConflictError extends Error {
  override name = 'DomainConflict';
  readonly code = 'DomainConflict';
  constructor(
    readonly instanceId: string,
    detail: string,
  ) {
    super(`domain for instance ${instanceId} already exists with a different ${detail}`);
  }
}

/** Spawn was asked to boot from an image file this node does not have (pull first). */
export class ImageNotCachedError extends Error {
  override name = 'ImageNotCached';
  readonly code = 'ImageNotCached';
  constructor(readonly imagePath: string) {
    super(`image file ${imagePath} is not in this node's cache`);
  }
}
