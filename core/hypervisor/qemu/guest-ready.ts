import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { GUEST_READY_MARKER } from '../guest-image/guest-init.js';
import { readBundleManifest } from '../guest-image/kernel-bundle.js';
import { guestBootFailed } from './qemu-errors.js';

/** Console lines quoted in a boot failure's message (the fault the user sees). */
export const FAULT_CONSOLE_LINES = 15;

export interface GuestReadyOptions {
  instanceId: string;
  imagePath: string;
  consoleLog: string;
  timeoutMs: number;
  /** False once the guest's QEMU has exited. */
  alive: () => Promise<boolean>;
  /** Stops a guest that never got ready, so it burns no CPU until the build's undo destroys it. */
  stop: () => Promise<void>;
  signal?: AbortSignal;
}

/**
 * Spawn's last step for a kernel-bundle image: the guest's `NIMBUS-GUEST-READY instance=<id>`
 * line on its console, within `timeoutMs`. ACTIVE is therefore stricter than "QMP says
 * running": an image that does not boot (a bad initrd, a kernel panic) fails the build with
 * GuestBootFailed quoting the console's last lines, instead of an ACTIVE that never serves.
 * Other images (a disk booted through the BIOS) carry no marker contract and are not waited for.
 */
export async function waitForGuestReady(opts: GuestReadyOptions): Promise<void> {
  if (!(await readBundleManifest(opts.imagePath))) return;
  const marker = `${GUEST_READY_MARKER} instance=${opts.instanceId.toLowerCase()}`;
  const deadline = Date.now() + opts.timeoutMs;
  const fail = async (why: string): Promise<never> => {
    await opts.stop().catch(() => undefined);
    throw guestBootFailed(opts.instanceId, why, faultQuote(await readFile(opts.consoleLog, 'utf8').catch(() => '')));
  };
  for (;;) {
    opts.signal?.throwIfAborted();
    const text = await readFile(opts.consoleLog, 'utf8').catch(() => '');
    if (text.includes(marker)) return;
    if (!(await opts.alive())) return fail('QEMU exited before the guest printed its ready marker');
    if (Date.now() >= deadline) {
      return fail(`the guest printed no "${marker}" within ${Math.round(opts.timeoutMs / 1000)} s`);
    }
    await sleep(250, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}

/**
 * The console lines a fault quotes: from the kernel's panic line when there is one (its
 * reason, e.g. `VFS: Unable to mount root fs`, comes before a long call trace), else the last ones.
 */
export function faultQuote(consoleText: string, lines = FAULT_CONSOLE_LINES): string {
  const all = consoleText.split(/\r?\n/).filter((l, i, a) => l !== '' || i < a.length - 1);
  const panic = all.findIndex((l) => /Kernel panic - /.test(l));
  return (panic >= 0 ? all.slice(panic, panic + lines) : all.slice(-lines)).join('\n');
}
