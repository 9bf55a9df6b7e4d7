/**
 * Failure types that cross the activity/workflow boundary (ApplicationFailure.type)
 * and appear as fault codes to users. `instanceof` does not survive that boundary:
 * branch on these names.
 */
export const FaultCodes = {
  /** No host could take the build: every attempt's reason is in the message. */
  NoValidHost: 'NoValidHost',
  /** The chosen host checked its own free room and said no. */
  HostRefused: 'HostRefused',
  /** A step that belongs to the host failed there (pull, spawn): another host may succeed. */
  HostStepFailed: 'HostStepFailed',
  ImageNotFound: 'ImageNotFound',
  ImageChecksumMismatch: 'ImageChecksumMismatch',
  NetworkExhausted: 'NetworkExhausted',
  StoragePoolExhausted: 'StoragePoolExhausted',
  /** The existing volume a build asked for was taken, deleted or is another project's by the time the build reserved it. */
  VolumeNotAvailable: 'VolumeNotAvailable',
  QuotaExceeded: 'QuotaExceeded',
  /** The build was cancelled (DELETE while building). */
  BuildCancelled: 'BuildCancelled',
  /** Anything unclassified: a bug, reported with its message. */
  InternalError: 'InternalError',
} as const;

export type FaultCode = (typeof FaultCodes)[keyof typeof FaultCodes];

/** Failures that another host would not fix: the saga aborts instead of rescheduling. */
export const FATAL_FAULTS: ReadonlySet<string> = new Set([
  FaultCodes.ImageNotFound,
  FaultCodes.ImageChecksumMismatch,
  FaultCodes.NetworkExhausted,
  FaultCodes.StoragePoolExhausted,
  FaultCodes.VolumeNotAvailable,
  FaultCodes.QuotaExceeded,
]);
