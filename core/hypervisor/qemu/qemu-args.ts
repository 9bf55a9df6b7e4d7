import type { Accelerator } from './accelerator-probe.js';

/**
 * The QEMU command line for one instance, built as data so it can be tested without QEMU.
 * The fast profile measured on TCG hosts (../shared/notes/data-plane.md): `pc` machine,
 * no default devices, qboot with an uncompressed kernel when the image is a kernel
 * bundle, a translation cache of 32 MB. `-cpu host` only with KVM: TCG gets `-cpu max`.
 */

/** The smallest RAM the guest image boots in: 64 MB panics unpacking the initramfs (measured). */
export const MIN_RAM_MB = 96;

export const QBOOT_ROM = '/usr/share/qemu/qboot.rom';

export interface QemuLaunch {
  instanceId: string;
  name: string;
  vcpus: number;
  ramMb: number;
  accel: Accelerator;
  pidfile: string;
  qmpSocket: string;
  consoleLog: string;
  /** The root disk: the qcow2 overlay over the cached image. */
  overlay: string;
  /** Set when the image is a kernel bundle; unset boots the root disk through the BIOS. */
  boot?: { kernel: string; initrd: string; cmdline: string };
  /** User-mode networking on eth0 with the guest's port 80 forwarded to 127.0.0.1:<port>. */
  httpForwardPort?: number;
  /** The ports' NICs known at launch, after eth0: backed by their tap when `tap` is set. */
  nics?: Array<{ deviceId: string; netdevId: string; mac: string; tap: string | null }>;
}

export function qemuArgs(l: QemuLaunch): string[] {
  const args = [
    ...['-name', `guest=${escapeOption(l.name)},process=qemu-${l.instanceId.slice(0, 8)}`],
    ...['-uuid', l.instanceId],
    ...['-machine', 'pc'],
    ...(l.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,tb-size=32', '-cpu', 'max']),
    ...['-smp', String(l.vcpus), '-m', String(l.ramMb)],
    ...['-nodefaults', '-no-user-config', '-display', 'none'],
    // Appended, not truncated: a restarted guest's console follows its earlier boots, as Nova's log does.
    ...['-chardev', `file,id=console,path=${escapeOption(l.consoleLog)},append=on`, '-serial', 'chardev:console'],
    ...['-qmp', `unix:${l.qmpSocket},server=on,wait=off`],
    ...['-pidfile', l.pidfile, '-daemonize'],
    ...['-blockdev', JSON.stringify(rootBlockdev(l.overlay))],
    ...['-device', `virtio-blk-pci,drive=root,id=disk-root,serial=root${l.boot ? '' : ',bootindex=1'}`],
  ];
  if (l.boot) {
    args.push('-bios', QBOOT_ROM, '-kernel', l.boot.kernel, '-initrd', l.boot.initrd, '-append', l.boot.cmdline);
  }
  if (l.httpForwardPort !== undefined) {
    args.push('-netdev', `user,id=mgmt,hostfwd=tcp:127.0.0.1:${l.httpForwardPort}-:80`);
    args.push('-device', 'virtio-net-pci,netdev=mgmt,id=nic-mgmt');
  }
  for (const nic of l.nics ?? []) {
    if (nic.tap) args.push('-netdev', `tap,id=${nic.netdevId},ifname=${nic.tap},script=no,downscript=no`);
    const backend = nic.tap ? `,netdev=${nic.netdevId}` : '';
    args.push('-device', `virtio-net-pci,id=${nic.deviceId},mac=${nic.mac}${backend}`);
  }
  return args;
}

function rootBlockdev(overlay: string): Record<string, unknown> {
  return { driver: 'qcow2', 'node-name': 'root', file: { driver: 'file', filename: overlay } };
}

/** The guest's kernel command line: the image's own, then Nimbus's settings (guest-init.ts reads them). */
export function guestCmdline(base: string, opts: { hostname: string; instanceId: string; ip?: string }): string {
  const parts = [base, `nimbus.hostname=${hostnameOf(opts.hostname)}`, `nimbus.instance=${opts.instanceId}`];
  if (opts.ip) parts.push(`nimbus.ip=${opts.ip}`);
  return parts.join(' ');
}

/** An RFC 1123 label from an instance name: what a guest can use as its hostname. */
export function hostnameOf(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'nimbus-guest';
}

/** QEMU option values escape a comma by doubling it. */
function escapeOption(value: string): string {
  return value.replace(/,/g, ',,');
}
