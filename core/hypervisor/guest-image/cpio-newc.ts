/**
 * A writer for the "newc" cpio format the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII
 * header of hex fields, the NUL-terminated name padded to 4 bytes, the data padded to 4
 * bytes; a `TRAILER!!!` entry ends the archive. No `cpio` binary needed.
 */

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

export function writeCpioNewc(entries: CpioEntry[], mtime = 0): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) parts.push(record(entry, ino++, mtime));
  parts.push(header({ name: 'TRAILER!!!', ino: 0, mode: 0, data: Buffer.alloc(0), mtime: 0 }));
  return Buffer.concat(parts);
}

function record(entry: CpioEntry, ino: number, mtime: number): Buffer {
  const name = entry.path.replace(/^\/+/, '');
  switch (entry.type) {
    case 'dir':
      return header({ name, ino, mode: S_IFDIR | (entry.mode ?? 0o755), data: Buffer.alloc(0), mtime, nlink: 2 });
    case 'file':
      return header({ name, ino, mode: S_IFREG | (entry.mode ?? 0o644), data: Buffer.from(entry.data), mtime });
    case 'symlink':
      return header({ name, ino, mode: S_IFLNK | 0o777, data: Buffer.from(entry.target), mtime });
    case 'char':
      return header({
        name,
        ino,
        mode: S_IFCHR | (entry.mode ?? 0o600),
        data: Buffer.alloc(0),
        mtime,
        rdev: [entry.major, entry.minor],
      });
  }
}

interface Header {
  name: string;
  ino: number;
  mode: number;
  data: Buffer;
  mtime: number;
  nlink?: number;
  rdev?: [number, number];
}

function header(h: Header): Buffer {
  const nameBytes = Buffer.from(h.name + '\0');
  const fields = [
    h.ino,
    h.mode,
    0, // uid: root
    0, // gid: root
    h.nlink ?? 1,
    h.mtime,
    h.data.length,
    0, // devmajor
    0, // devminor
    h.rdev?.[0] ?? 0,
    h.rdev?.[1] ?? 0,
    nameBytes.length,
    0, // check: unused in newc
  ];
  const head = '070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join('');
  return Buffer.concat([Buffer.from(head), nameBytes, pad(110 + nameBytes.length), h.data, pad(h.data.length)]);
}

function pad(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
