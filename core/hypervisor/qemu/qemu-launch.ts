import { mkdir, rm, stat } from 'node:fs/promises';
import type { OperationOptions } from '../driver.js';
import { ensureBootFiles } from './boot-files.js';
import type { HostAccelerator } from './host-accelerator.js';
import type { DomainRecord, InstanceFiles } from './instance-files.js';
import { guestCmdline, qemuArgs } from './qemu-args.js';
import { attachDisk, plugNic } from './qemu-devices.js';
import { startFailed } from './qemu-errors.js';
import * as proc from './qemu-process.js';
import { withQmp } from './qmp-session.js';

export interface LaunchContext {
  files: InstanceFiles;
  accelerator: HostAccelerator;
  /** The QEMU binary (qemu-process.ts's default when unset). */
  qemu?: string;
  /** The host's iSCSI initiator name, for the volumes attached again. */
  initiatorName: string;
}

/** Overlay (once), boot files, accelerator, QEMU itself, the recorded NICs and volumes back. */
export async function launchDomain(ctx: LaunchContext, record: DomainRecord, opts: OperationOptions): Promise<void> {
  const id = record.instanceId;
  const overlay = ctx.files.overlay(id);
  opts.signal?.throwIfAborted();
  if (!(await stat(overlay).catch(() => null))) {
    const base = (await stat(record.imagePath).catch(() => null))?.size ?? 0;
    const size = record.diskGb * 2 ** 30;
    await proc.createOverlay(record.imagePath, overlay, size > base ? size : undefined, opts.signal);
  }
  const boot = await ensureBootFiles(ctx.files.bootDir, record.imagePath, record.imageSha256);
  const { accel } = await ctx.accelerator.resolve(boot?.kernel);
  const [qmpSocket, pidfile, consoleLog] = [ctx.files.qmpSocket(id), ctx.files.pidfile(id), ctx.files.console(id)];
  await mkdir(ctx.files.socketsDir, { recursive: true, mode: 0o700 });
  await Promise.all([rm(qmpSocket, { force: true }), rm(pidfile, { force: true })]);
  const args = qemuArgs({
    ...{ instanceId: id, name: record.name, vcpus: record.vcpus, ramMb: record.ramMb, accel },
    ...{ pidfile, qmpSocket, consoleLog, overlay, httpForwardPort: record.httpForwardPort },
    boot: boot
      ? { ...boot, cmdline: guestCmdline(boot.cmdline, { hostname: record.name, instanceId: id }) }
      : undefined,
  });
  try {
    await proc.launchQemu(args, { qemu: ctx.qemu, signal: opts.signal });
  } catch (err) {
    throw startFailed(id, (err as Error).message, await proc.consoleTail(consoleLog, 10));
  }
  const nics = record.vifs;
  const specs = await Promise.all(record.volumes.map((v) => ctx.files.readAttachSpec(id, v.volumeId)));
  if (nics.length === 0 && specs.length === 0) return;
  await withQmp(ctx.files.qmpSocket(id), opts, async (q) => {
    await Promise.all(nics.map((v) => plugNic(q, v, {})));
    // In their recorded order, so each volume gets its device name (vdb, vdc, ...) again.
    for (const spec of specs) if (spec) await attachDisk(q, spec, ctx.initiatorName, {});
  });
}
