import { FaultCodes } from '../../contracts/errors.js';

/**
 * The bytes are not the image that was registered. Another host would download the same
 * bytes, so the saga aborts instead of rescheduling (contracts FATAL_FAULTS).
 */
export class ImageChecksumMismatchError extends Error {
  override name = 'ImageChecksumMismatch';
  readonly code = FaultCodes.ImageChecksumMismatch;
  constructor(
    readonly expected: { sha256: string; sizeBytes?: number },
    readonly actual: { sha256: string | null; sizeBytes: number },
  ) {
    super(
      `image checksum mismatch: expected sha256 ${expected.sha256}` +
        (expected.sizeBytes === undefined ? '' : ` (${expected.sizeBytes} bytes)`) +
        `, got ${actual.sha256 ?? 'more bytes than expected'} (${actual.sizeBytes} bytes)`,
    );
  }
}

/** The image service does not know the image (404): fatal, like a bad checksum. */
export class ImageNotFoundError extends Error {
  override name = 'ImageNotFound';
  readonly code = FaultCodes.ImageNotFound;
  constructor(readonly imageId: string) {
    super(`image ${imageId} not found on the image service`);
  }
}

/**
 * The download broke (network, 5xx, auth). Retryable: the partial file is kept and the
 * next attempt resumes from `bytesOnDisk`.
 */
export class ImageDownloadError extends Error {
  override name = 'ImageDownloadFailed';
  readonly code = 'ImageDownloadFailed';
  /** Read by activities/failures.ts: the activity is retried on this host and resumes. */
  readonly retryable = true;
  constructor(
    message: string,
    readonly bytesOnDisk: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Digests become file names: accept exactly 64 lowercase hex digits and nothing else. */
export function assertSha256(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new RangeError(`not a sha256 hex digest: ${JSON.stringify(sha256)}`);
  return sha256;
}
