import { spawn } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { decompressLz4Legacy } from './lz4-legacy.js';

/**
 * The uncompressed kernel (an ELF `vmlinux`) from a bzImage, as the kernel's
 * scripts/extract-vmlinux does, written for Nimbus: the setup header says where the
 * compressed payload is (setup_sects, payload_offset, payload_length), its first bytes say
 * how it is compressed. gzip and LZ4 are decoded here; xz and zstd through their CLIs.
 * QEMU boots the ELF directly (PVH entry), which with qboot is the fast boot profile.
 */

export type PayloadFormat = 'gzip' | 'lz4' | 'xz' | 'zstd' | 'unknown';

const MAGICS: Array<[PayloadFormat, number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

export function payloadFormat(payload: Uint8Array): PayloadFormat {
  for (const [name, magic] of MAGICS) if (magic.every((b, i) => payload[i] === b)) return name;
  return 'unknown';
}

/** The compressed payload inside a bzImage (boot protocol ≥ 2.08). */
export function bzImagePayload(bzImage: Buffer): Buffer {
  if (bzImage.length < 0x250 || bzImage.toString('latin1', 0x202, 0x206) !== 'HdrS') {
    throw new Error('not a bzImage (no HdrS setup header)');
  }
  const setupSects = bzImage[0x1f1] || 4;
  const offset = (setupSects + 1) * 512 + bzImage.readUInt32LE(0x248);
  const length = bzImage.readUInt32LE(0x24c);
  if (length === 0 || offset + length > bzImage.length) throw new Error('bzImage payload is out of bounds');
  return bzImage.subarray(offset, offset + length);
}

export async function extractVmlinux(bzImage: Buffer): Promise<Buffer> {
  const payload = bzImagePayload(bzImage);
  const format = payloadFormat(payload);
  let elf: Buffer;
  switch (format) {
    case 'gzip':
      elf = gunzipSync(payload);
      break;
    case 'lz4':
      elf = decompressLz4Legacy(payload);
      break;
    case 'xz':
      elf = await viaCli('xz', ['-dc', '--single-stream'], payload);
      break;
    case 'zstd':
      elf = await viaCli('zstd', ['-dc', '--memory=2048MB'], payload);
      break;
    default:
      throw new Error(`bzImage payload not recognised (first bytes ${payload.subarray(0, 6).toString('hex')})`);
  }
  if (elf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`decompressed ${format} payload is not an ELF kernel`);
  return elf;
}

/** Pipes the payload through a decompressor; trailing bytes after the stream are ignored by both tools. */
function viaCli(command: string, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => reject(new Error(`${command} is needed to decompress this kernel: ${e.message}`)));
    child.on('close', (code) => {
      const data = Buffer.concat(out);
      // A decompressor may complain about trailing data yet have written the whole kernel.
      if (data.length > 0) resolve(data);
      else reject(new Error(`${command} failed (exit ${code}): ${err.trim()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
