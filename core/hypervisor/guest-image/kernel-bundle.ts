import { open, readFile } from 'node:fs/promises';

/**
 * How a Nimbus guest image is packaged: one file, uploaded through the image API and
 * pulled through the node cache like any other image (no side channel), which is a plain
 * POSIX tar (ustar) holding
 *
 *   nimbus-boot.json   { format, kernel, initrd, cmdline }
 *   vmlinux.gz         the uncompressed ELF kernel, gzipped for transfer
 *   initrd.gz          the busybox initramfs (newc cpio, gzip)
 *
 * Glance would use three images tied by `kernel_id` / `ramdisk_id`; Nimbus's image records
 * have no properties, and one file keeps "the image" one thing to upload, checksum, cache
 * and evict. The QEMU driver reads the manifest from the cached file, unpacks the kernel
 * and initrd once per image digest, and boots them with `-kernel`/`-initrd`; the root disk
 * is still a qcow2 overlay over the very same cached file, so the guest's vda holds the
 * bundle's bytes (harmless: the initramfs never mounts it). A file that is not a bundle is
 * booted as a disk by the firmware.
 */

export const BUNDLE_FORMAT = 'nimbus-kernel-bundle/1';
export const MANIFEST_NAME = 'nimbus-boot.json';

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  /** Member names inside the tar. */
  kernel: string;
  initrd: string;
  /** Kernel command line the image wants; the driver appends its own nimbus.* settings. */
  cmdline: string;
}

export interface BundleMember {
  name: string;
  data: Buffer;
}

/** A ustar archive of the members, in order (the manifest first, so a reader stops early). */
export function writeTar(members: BundleMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const head = Buffer.alloc(512);
    head.write(m.name, 0, 100, 'utf8');
    head.write('0000644\0', 100);
    head.write('0000000\0', 108);
    head.write('0000000\0', 116);
    head.write(m.data.length.toString(8).padStart(11, '0') + '\0', 124);
    head.write('00000000000\0', 136); // mtime 0: the same inputs give the same bytes and digest
    head.write('        ', 148); // checksum field counts as spaces while summing
    head.write('0', 156);
    head.write('ustar\0', 257);
    head.write('00', 263);
    let sum = 0;
    for (const b of head) sum += b;
    head.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    parts.push(head, m.data, Buffer.alloc((512 - (m.data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The members of a ustar archive (regular files only), at most `limit` of them. */
export function readTar(tar: Buffer, limit = Infinity): BundleMember[] {
  const members: BundleMember[] = [];
  let pos = 0;
  while (pos + 512 <= tar.length && members.length < limit) {
    const head = tar.subarray(pos, pos + 512);
    if (head.every((b) => b === 0)) break;
    const name = head.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(head.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    if (!Number.isFinite(size) || pos + 512 + size > tar.length) throw new Error(`truncated tar member ${name}`);
    members.push({ name, data: tar.subarray(pos + 512, pos + 512 + size) });
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return members;
}

/** The manifest when the file is a kernel bundle, else null (a disk image, or bytes that are not one). */
export async function readBundleManifest(file: string): Promise<BundleManifest | null> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(512 + 4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < 1024 || head.toString('latin1', 257, 262) !== 'ustar') return null;
    const [first] = readTar(head.subarray(0, bytesRead), 1);
    if (first?.name !== MANIFEST_NAME) return null;
    const manifest = JSON.parse(first.data.toString('utf8')) as BundleManifest;
    return manifest.format === BUNDLE_FORMAT ? manifest : null;
  } catch {
    return null; // not a tar, or a manifest larger than 4 KiB: not one of ours
  } finally {
    await fh.close();
  }
}

/** The bundle's members, read whole (kernel and initrd are tens of MB: done once per image digest). */
export async function readBundle(file: string): Promise<Map<string, Buffer>> {
  return new Map(readTar(await readFile(file)).map((m) => [m.name, m.data]));
}
