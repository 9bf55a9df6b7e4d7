/**
 * Decoder for the LZ4 "legacy" frame the Linux kernel uses for an LZ4-compressed bzImage
 * payload (CONFIG_KERNEL_LZ4; Debian's cloud kernel is one). Written from the format's
 * description so the guest-image build needs no `lz4` binary: a 4-byte magic, then blocks,
 * each a little-endian 32-bit compressed length followed by one LZ4 block. The kernel's
 * build appends the uncompressed size after the last block; a length that does not fit in
 * what is left ends the stream, as it does for the kernel's own decompressor.
 */

export const LZ4_LEGACY_MAGIC = 0x184c2102;
/** A legacy block never decompresses to more than 8 MiB. */
const MAX_BLOCK = 8 * 1024 * 1024;

export function decompressLz4Legacy(input: Uint8Array): Buffer {
  const view = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (view.length < 4 || view.readUInt32LE(0) !== LZ4_LEGACY_MAGIC) throw new Error('not an LZ4 legacy frame');
  const blocks: Buffer[] = [];
  let pos = 4;
  while (pos + 4 <= view.length) {
    const size = view.readUInt32LE(pos);
    if (size === LZ4_LEGACY_MAGIC) {
      pos += 4; // concatenated frames: another magic starts the next one
      continue;
    }
    if (size === 0 || pos + 4 + size > view.length) break;
    blocks.push(decodeBlock(view.subarray(pos + 4, pos + 4 + size)));
    pos += 4 + size;
  }
  if (blocks.length === 0) throw new Error('LZ4 legacy frame has no blocks');
  return Buffer.concat(blocks);
}

/** One LZ4 block: sequences of (literals, match) until the input ends after literals. */
function decodeBlock(src: Buffer): Buffer {
  const out = Buffer.allocUnsafe(MAX_BLOCK);
  let ip = 0;
  let op = 0;
  for (;;) {
    const token = src[ip++];
    let literals = token >> 4;
    if (literals === 15) literals += readLength(src, () => ip++);
    if (op + literals > out.length || ip + literals > src.length) throw new Error('corrupt LZ4 block (literals)');
    src.copy(out, op, ip, ip + literals);
    ip += literals;
    op += literals;
    if (ip >= src.length) break; // the last sequence has literals only
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new Error('corrupt LZ4 block (offset)');
    let match = (token & 15) + 4;
    if ((token & 15) === 15) match += readLength(src, () => ip++);
    if (op + match > out.length) throw new Error('corrupt LZ4 block (match)');
    // Byte by byte: a match may overlap the bytes it is producing (offset < length).
    for (let from = op - offset, end = op + match; op < end;) out[op++] = out[from++]!;
  }
  return out.subarray(0, op);
}

/** The extra length bytes after a nibble of 15: each 255 continues, anything less ends. */
function readLength(src: Buffer, next: () => number): number {
  let total = 0;
  for (;;) {
    const i = next();
    if (i >= src.length) throw new Error('corrupt LZ4 block (length)');
    const b = src[i];
    total += b;
    if (b !== 255) return total;
  }
}
