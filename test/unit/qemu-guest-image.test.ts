import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { writeCpioNewc } from '../../core/hypervisor/guest-image/cpio-newc.js';
import { bzImagePayload, payloadFormat } from '../../core/hypervisor/guest-image/extract-vmlinux.js';
import { isStaticElf, moduleDepends } from '../../core/hypervisor/guest-image/initramfs.js';
import {
  BUNDLE_FORMAT,
  MANIFEST_NAME,
  readBundleManifest,
  readTar,
  writeTar,
} from '../../core/hypervisor/guest-image/kernel-bundle.js';
import { decompressLz4Legacy } from '../../core/hypervisor/guest-image/lz4-legacy.js';

describe('guest image building blocks', () => {
  it('writes newc cpio entries the kernel can unpack (aligned headers, trailer)', () => {
    const cpio = writeCpioNewc([
      { type: 'dir', path: 'bin' },
      { type: 'file', path: '/init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { type: 'symlink', path: 'bin/sh', target: 'busybox' },
      { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    ]);
    assert.equal(cpio.length % 4, 0);
    assert.equal(cpio.toString('latin1', 0, 6), '070701');
    const init = cpio.indexOf('init\0');
    const header = cpio.toString('latin1', init - 110, init);
    assert.equal(parseInt(header.slice(14, 22), 16), 0o100755, 'mode of /init');
    assert.equal(parseInt(header.slice(54, 62), 16), 10, 'size of /init');
    const console = cpio.indexOf('dev/console\0');
    const chr = cpio.toString('latin1', console - 110, console);
    assert.deepEqual([parseInt(chr.slice(78, 86), 16), parseInt(chr.slice(86, 94), 16)], [5, 1]);
    assert.ok(cpio.includes('TRAILER!!!\0'));
  });

  it('round-trips a kernel bundle and recognises it by its manifest, and only it', async () => {
    const manifest = { format: BUNDLE_FORMAT, kernel: 'vmlinux.gz', initrd: 'initrd.gz', cmdline: 'console=ttyS0' };
    const tar = writeTar([
      { name: MANIFEST_NAME, data: Buffer.from(JSON.stringify(manifest)) },
      { name: 'vmlinux.gz', data: gzipSync(Buffer.alloc(5000, 7)) },
      { name: 'initrd.gz', data: Buffer.from('x') },
    ]);
    assert.deepEqual(
      readTar(tar).map((m) => [m.name, m.data.length]),
      [
        [MANIFEST_NAME, JSON.stringify(manifest).length],
        ['vmlinux.gz', gzipSync(Buffer.alloc(5000, 7)).length],
        ['initrd.gz', 1],
      ],
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'nimbus-bundle-'));
    try {
      await writeFile(path.join(dir, 'bundle'), tar);
      await writeFile(path.join(dir, 'disk'), Buffer.alloc(4096, 1));
      assert.deepEqual(await readBundleManifest(path.join(dir, 'bundle')), manifest);
      assert.equal(await readBundleManifest(path.join(dir, 'disk')), null);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('decodes an LZ4 legacy frame, overlapping matches included', () => {
    const block = Buffer.from([0x44, ...Buffer.from('abcd'), 0x04, 0x00, 0x10, ...Buffer.from('x')]);
    const frame = Buffer.alloc(8);
    frame.writeUInt32LE(0x184c2102, 0);
    frame.writeUInt32LE(block.length, 4);
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32LE(13, 0); // the kernel appends the uncompressed size
    assert.equal(decompressLz4Legacy(Buffer.concat([frame, block, trailer])).toString(), 'abcdabcdabcdx');
    assert.throws(() => decompressLz4Legacy(Buffer.from('nope')), /not an LZ4 legacy frame/);
  });

  it('finds and identifies the payload of a bzImage from its setup header', () => {
    const bz = Buffer.alloc(4096);
    bz[0x1f1] = 1; // one setup sector: protected-mode code at 1024
    bz.write('HdrS', 0x202, 'latin1');
    bz.writeUInt32LE(16, 0x248);
    bz.writeUInt32LE(6, 0x24c);
    Buffer.from([0x02, 0x21, 0x4c, 0x18, 9, 9]).copy(bz, 1024 + 16);
    assert.equal(payloadFormat(bzImagePayload(bz)), 'lz4');
    assert.equal(payloadFormat(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
    assert.equal(payloadFormat(Buffer.from([0x1f, 0x8b, 8])), 'gzip');
    assert.throws(() => bzImagePayload(Buffer.alloc(4096)), /not a bzImage/);
  });

  it("reads a module's dependencies from its .modinfo, and tells a static ELF from a dynamic one", () => {
    const ko = Buffer.from('\0license=GPL\0depends=virtio_ring,virtio-pci-legacy-dev\0name=virtio_pci\0');
    assert.deepEqual(moduleDepends(ko), ['virtio_ring', 'virtio_pci_legacy_dev']);
    assert.deepEqual(moduleDepends(Buffer.from('\0depends=\0')), []);
    const elf = Buffer.alloc(256);
    elf.writeUInt32BE(0x7f454c46, 0);
    elf[4] = 2;
    elf.writeBigUInt64LE(64n, 0x20);
    elf.writeUInt16LE(56, 0x36);
    elf.writeUInt16LE(1, 0x38);
    elf.writeUInt32LE(1, 64); // PT_LOAD
    assert.equal(isStaticElf(elf), true);
    elf.writeUInt32LE(3, 64); // PT_INTERP
    assert.equal(isStaticElf(elf), false);
  });
});
