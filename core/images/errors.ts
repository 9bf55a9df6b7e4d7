import { FaultCodes, RequestCodes } from '../../contracts/errors.js';
import { DomainError } from '../errors.js';

/**
 * The bytes are not the image that was registered. Another host would download the same
 * bytes, so the saga aborts instead of rescheduling (contracts FATAL_FAULTS).
 */
export class ImageChecksumMismatchError extends DomainError {
  constructor(
    readonly expected: { sha256: string; sizeBytes?: number },
    readonly actual: { sha256: string | null; sizeBytes: number },
  ) {
    super(
      FaultCodes.ImageChecksumMismatch,
      `image checksum mismatch: expected sha256 ${expected.sha256}` +
        (expected.sizeBytes === undefined ? '' : ` (${expected.sizeBytes} bytes)`) +
        `, got ${actual.sha256 ?? 'more bytes than expected'} (${actual.sizeBytes} bytes)`,
    );
  }
}

/** The image service does not know the image (404): fatal, like a bad checksum. */
export class ImageNotFoundError extends DomainError {
  constructor(readonly imageId: string) {
    super(FaultCodes.ImageNotFound, `image ${imageId} not found on the image service`, { imageId });
  }
}

/**
 * The download broke (network, 5xx, auth). Retryable (its code is, in contracts/errors.ts):
 * the partial file is kept and the next attempt resumes from `bytesOnDisk`.
 */
export class ImageDownloadError extends DomainError {
  constructor(
    message: string,
    readonly bytesOnDisk: number,
    options?: { cause?: unknown },
  ) {
    super(FaultCodes.ImageDownloadFailed, message, { bytesOnDisk });
    if (options && 'cause' in options) this.cause = options.cause;
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Digests become file names: accept exactly 64 lowercase hex digits and nothing else. */
export function assertSha256(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new RangeError(`not a sha256 hex digest: ${JSON.stringify(sha256)}`);
  return sha256;
}

/** An upload went past the image size limit: nothing is stored. */
export class ImageTooLargeError extends DomainError {
  constructor(readonly maxBytes: number) {
    super(RequestCodes.PayloadTooLarge, `the image is larger than the limit of ${maxBytes} bytes`, { maxBytes });
  }
}
