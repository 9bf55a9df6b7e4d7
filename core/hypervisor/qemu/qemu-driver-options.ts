import type { Accelerator } from './accelerator-probe.js';

/** The QEMU driver's settings (qemu-driver.ts); the compute agent fills them from its config. */
export interface QemuDriverOptions {
  /** The node's state directory; QEMU's state lives in `<nodeDir>/qemu/` (instance-files.ts). */
  nodeDir: string;
  qemu?: string;
  /** Skips the probe (tests, or an operator who knows). */
  accel?: Accelerator;
  /** A kernel-bundle image whose kernel the accelerator probe test-boots at initHost (accelerator-probe.ts). */
  probeImage?: string;
  /** Until guests get real taps (the VIF driver is fake): eth0 on user-mode networking, port 80 on loopback. */
  userNetwork?: boolean;
  /** How long a guest may take to quit through QMP before SIGKILL (default 5 s). */
  quitTimeoutMs?: number;
  /** Set: spawn of a kernel-bundle image waits this long for the guest's ready marker (guest-ready.ts). */
  guestBootTimeoutMs?: number;
  /** The iSCSI initiator name this host logs in to volumes with (contracts/storage.ts initiatorIqnOf). */
  initiatorName?: string;
}
