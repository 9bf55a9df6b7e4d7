/**
 * Guest device names. Kept apart from any driver so the fake driver and a later QEMU
 * driver name disks identically. Host-side names (taps, bridges) are the network's:
 * core/network/port-binding.ts.
 */

/**
 * Guest disk name for a 0-based index: 0 → vda, 25 → vdz, 26 → vdaa (bijective base 26,
 * the way the Linux virtio driver names them).
 */
export function diskDeviceName(index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`bad disk index ${index}`);
  let suffix = '';
  let n = index + 1;
  while (n > 0) {
    const rem = (n - 1) % 26;
    suffix = String.fromCharCode(97 + rem) + suffix;
    n = Math.floor((n - 1) / 26);
  }
  return 'vd' + suffix;
}

/** First free volume device; index 0 (vda) is the root disk, so volumes start at vdb. */
export function firstFreeVolumeDevice(used: Iterable<string>): string {
  const taken = new Set(used);
  for (let i = 1; ; i++) {
    const name = diskDeviceName(i);
    if (!taken.has(name)) return name;
  }
}
