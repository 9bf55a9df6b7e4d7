/**
 * The one error vocabulary. Every code a domain error carries is named here: the saga's
 * faults (ApplicationFailure.type across the activity/workflow boundary, where `instanceof`
 * does not survive: branch on these names), the refusals the API answers with, and the
 * drivers' codes. Whether a failure is retried depends on its code and nothing else:
 * see RETRY below.
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
  /**
   * The existing volume a build asked for was taken, deleted or is another project's by
   * the time the build reserved it.
   */
  VolumeNotAvailable: 'VolumeNotAvailable',
  QuotaExceeded: 'QuotaExceeded',
  /** The build was cancelled (DELETE while building). */
  BuildCancelled: 'BuildCancelled',
  /** Anything unclassified: a bug, reported with its message. */
  InternalError: 'InternalError',
  /** The image download broke (network, 5xx): retried on the host, resuming from the partial file. */
  ImageDownloadFailed: 'ImageDownloadFailed',
  /** An admin armed a failure at this step (`PUT /v1/admin/hosts/{host}/faults`, tests and demos). */
  InjectedFault: 'InjectedFault',
  /**
   * An undo failed for good: the message names what is left (claim, port, volume, domain).
   * The instance stays ERROR, never DELETED over leftovers, until the cleanup repair finishes it.
   */
  CleanupIncomplete: 'CleanupIncomplete',
} as const;

export type FaultCode = (typeof FaultCodes)[keyof typeof FaultCodes];

/** Bad requests, whatever the resource: the API answers 422, 404 and 413. */
export const RequestCodes = {
  ValidationFailed: 'ValidationFailed',
  NotFound: 'NotFound',
  /** An upload larger than the configured maximum (NIMBUS_IMAGE_MAX_BYTES). */
  PayloadTooLarge: 'PayloadTooLarge',
  /** Wrong credentials, or a token that expired or was revoked (Keystone's 401). */
  Unauthorized: 'Unauthorized',
} as const;

/** Conflicts with other networks or with what uses one; the API answers 409 with these types. */
export const NetworkConflicts = {
  NameInUse: 'NetworkNameInUse',
  Overlap: 'NetworkOverlap',
  SegmentationInUse: 'SegmentationIdInUse',
  InUse: 'NetworkInUse',
} as const;

/** Conflicts a user's volume request can run into; the API answers 409 with these types. */
export const VolumeConflicts = {
  InUse: 'VolumeInUse',
} as const;

/**
 * What a host-side driver (hypervisor, VIF, volume connector) reports. They never reach a
 * user as such: an activity reports them as HostStepFailed (another host may succeed),
 * with the driver's code in the failure's message and details (activities/failures.ts).
 */
export const DriverCodes = {
  /** The instance has no domain on this node. */
  DomainNotFound: 'DomainNotFound',
  /** A second spawn for the same instance asked for something else: a bug, not a retry. */
  DomainConflict: 'DomainConflict',
  /** Spawn was asked to boot from an image file this node does not have (pull first). */
  ImageNotCached: 'ImageNotCached',
  /** NIMBUS_HYPERVISOR or a driver asked for names no hypervisor driver this agent has. */
  UnknownHypervisor: 'UnknownHypervisor',
  /** The port binding the network service returned cannot be wired on this host. */
  VifBindingInvalid: 'VifBindingInvalid',
  /** The volume's connection info cannot be turned into something the hypervisor attaches. */
  VolumeConnectionInvalid: 'VolumeConnectionInvalid',
  /** QEMU cannot boot the instance as asked (RAM below what a guest boots in, a bad vCPU count). */
  QemuSpecInvalid: 'QemuSpecInvalid',
  /** QEMU exited at start or never reported `running`; the message quotes the console's last lines. */
  QemuStartFailed: 'QemuStartFailed',
  /** A device change on a guest that QEMU is not running. */
  QemuDeviceFailed: 'QemuDeviceFailed',
  /** The guest never printed its ready marker (or QEMU died first); the message quotes the console's last lines. */
  GuestBootFailed: 'GuestBootFailed',
  /** An `ip` command (bridge, VXLAN, tap, namespace) failed on the host; the message quotes iproute2. */
  HostNetworkFailed: 'HostNetworkFailed',
  /** tgtd refused or failed a target change (tgtadm's exit status and message): retried, tgtd may be restarting. */
  IscsiTargetFailed: 'IscsiTargetFailed',
  /** The hypervisor could not log in to the volume's target (wrong CHAP secret, no ACL for this host). */
  VolumeLoginRefused: 'VolumeLoginRefused',
} as const;

export type DriverCode = (typeof DriverCodes)[keyof typeof DriverCodes];

type CodeOf<T> = T[keyof T];
export type ErrorCode =
  | FaultCode
  | CodeOf<typeof RequestCodes>
  | CodeOf<typeof NetworkConflicts>
  | CodeOf<typeof VolumeConflicts>
  | DriverCode;

/**
 * The one table of retries, code → permanent or retryable. Permanent: no retry of the same
 * call can succeed (bad input, an exhausted pool, a host that said no), so the activity
 * fails at once. Retryable codes, and every code not listed (ECONNREFUSED, ECONNRESET,
 * ETIMEDOUT, ENOSPC, a PostgreSQL restart's 57P01 or 08006), are retried by Temporal:
 * an undo that meets a database restart must finish, not leak.
 */
export const RETRY: { readonly [C in ErrorCode]: 'permanent' | 'retryable' } = {
  NoValidHost: 'permanent',
  HostRefused: 'permanent',
  HostStepFailed: 'permanent',
  ImageNotFound: 'permanent',
  ImageChecksumMismatch: 'permanent',
  NetworkExhausted: 'permanent',
  StoragePoolExhausted: 'permanent',
  VolumeNotAvailable: 'permanent',
  QuotaExceeded: 'permanent',
  BuildCancelled: 'permanent',
  // A bug or a rare race (no free MAC after 8 tries): another try may well pass.
  InternalError: 'retryable',
  ImageDownloadFailed: 'retryable',
  InjectedFault: 'permanent',
  CleanupIncomplete: 'permanent',
  ValidationFailed: 'permanent',
  NotFound: 'permanent',
  PayloadTooLarge: 'permanent',
  Unauthorized: 'permanent',
  NetworkNameInUse: 'permanent',
  NetworkOverlap: 'permanent',
  SegmentationIdInUse: 'permanent',
  NetworkInUse: 'permanent',
  VolumeInUse: 'permanent',
  DomainNotFound: 'permanent',
  DomainConflict: 'permanent',
  ImageNotCached: 'permanent',
  UnknownHypervisor: 'permanent',
  VifBindingInvalid: 'permanent',
  VolumeConnectionInvalid: 'permanent',
  QemuSpecInvalid: 'permanent',
  QemuStartFailed: 'permanent',
  QemuDeviceFailed: 'permanent',
  GuestBootFailed: 'permanent',
  // Mostly a race with another plug or unplug on the same bridge ("File exists", "Device or
  // resource busy"): a retry finds the host settled. An undo that meets it must finish, not leak.
  HostNetworkFailed: 'retryable',
  IscsiTargetFailed: 'retryable',
  VolumeLoginRefused: 'permanent',
};

/** True when `code` is one of this vocabulary's codes (a Node or PostgreSQL code is not). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(RETRY, code);
}

/** Only codes listed as permanent are; anything else, known or not, is worth a retry. */
export function isPermanent(code: unknown): boolean {
  return isErrorCode(code) && RETRY[code] === 'permanent';
}

export function isDriverCode(code: unknown): code is DriverCode {
  return typeof code === 'string' && Object.hasOwn(DriverCodes, code);
}

/** Failures that another host would not fix: the saga aborts instead of rescheduling. */
export const FATAL_FAULTS: ReadonlySet<string> = new Set([
  FaultCodes.ImageNotFound,
  FaultCodes.ImageChecksumMismatch,
  FaultCodes.NetworkExhausted,
  FaultCodes.StoragePoolExhausted,
  FaultCodes.VolumeNotAvailable,
  FaultCodes.QuotaExceeded,
]);
