/**
 * Spawn's wait for the guest's ready marker (core/hypervisor/qemu/guest-ready.ts), on a
 * console file the test writes itself: no QEMU needed. The real guest that panics is
 * test/e2e/qemu-bad-image.test.ts.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../../core/errors.js';
import { BUNDLE_FORMAT, MANIFEST_NAME, writeTar } from '../../core/hypervisor/guest-image/kernel-bundle.js';
import { faultQuote, waitForGuestReady, type GuestReadyOptions } from '../../core/hypervisor/qemu/guest-ready.js';
import { GuestBootFailed } from '../../core/hypervisor/qemu/qemu-errors.js';

const id = '0b7e6a52-3c1d-4e2f-8a9b-0c1d2e3f4a5b';
let dir: string;
let bundle: string;
let disk: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nimbus-guest-ready-'));
  bundle = path.join(dir, 'bundle.img');
  const manifest = { format: BUNDLE_FORMAT, kernel: 'k', initrd: 'i', cmdline: '' };
  await writeFile(bundle, writeTar([{ name: MANIFEST_NAME, data: Buffer.from(JSON.stringify(manifest)) }]));
  disk = path.join(dir, 'disk.raw');
  await writeFile(disk, Buffer.alloc(4096));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(consoleLog: string, overrides: Partial<GuestReadyOptions> = {}): GuestReadyOptions {
  return {
    ...{ instanceId: id, imagePath: bundle, consoleLog, timeoutMs: 2000 },
    ...{ alive: () => Promise.resolve(true), stop: () => Promise.resolve() },
    ...overrides,
  };
}

const bootFailed = (pattern: RegExp) => (err: unknown) =>
  err instanceof DomainError && err.code === GuestBootFailed && pattern.test(err.message);

describe('waiting for the guest marker', () => {
  it('resolves once the marker with the instance id is on the console', async () => {
    const log = path.join(dir, 'ok.log');
    await writeFile(log, 'booting\n');
    setTimeout(() => void appendFile(log, `NIMBUS-GUEST-READY instance=${id}\n`), 300);
    await waitForGuestReady(options(log));
  });

  it('fails with GuestBootFailed quoting the panic when no marker comes in time, and stops the guest', async () => {
    const log = path.join(dir, 'panic.log');
    const trace = Array.from({ length: 30 }, (_, i) => `[ 1.9] trace line ${i}`);
    await writeFile(
      log,
      ['[ 1.8] Initramfs unpacking failed', '[ 1.9] Kernel panic - not syncing: VFS', ...trace].join('\n'),
    );
    let stopped = false;
    const stop = () => Promise.resolve(void (stopped = true));
    await assert.rejects(
      waitForGuestReady(options(log, { timeoutMs: 300, stop })),
      bootFailed(/within 0 s; console: \[ 1\.9\] Kernel panic - not syncing: VFS\n/),
    );
    assert.ok(stopped);
  });

  it('fails at once when QEMU exits, quoting the last lines', async () => {
    const log = path.join(dir, 'exit.log');
    await writeFile(log, Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n'));
    const started = Date.now();
    await assert.rejects(
      waitForGuestReady(options(log, { alive: () => Promise.resolve(false), timeoutMs: 60_000 })),
      bootFailed(/QEMU exited[\s\S]*console: line 25\n[\s\S]*line 39$/),
    );
    assert.ok(Date.now() - started < 5000);
  });

  it('does not wait for an image without the marker contract (a disk)', async () => {
    await waitForGuestReady(options(path.join(dir, 'absent.log'), { imagePath: disk, timeoutMs: 1 }));
  });

  it('quotes the last lines when nothing panicked', () => {
    assert.equal(faultQuote('a\nb\nc\n', 2), 'b\nc');
    assert.equal(faultQuote('x\nKernel panic - y\nz\nw\n', 2), 'Kernel panic - y\nz');
  });
});
