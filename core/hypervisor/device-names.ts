import type { Segmentation } from './driver.js';

/**
 * Host and guest device names. Kept apart from any driver so the fake driver and a
 * later QEMU/libvirt driver name things identically, and an operator can match a tap
 * on the host to a Neutron-style port id at a glance.
 */

/** Nova: `tap` + port id, cut to 14 characters so it fits Linux's 15-character IFNAMSIZ. */
export function tapDeviceName(portId: string): string {
  return 'tap' + portId.slice(0, 11);
}

/**
 * The bridge a segmentation maps to. Note: Linux interface names hold 15 characters,
 * so a real driver needs a shorter scheme for VNIs above 9,999,999 (`br-vxlan` + 8 digits).
 */
export function bridgeName(segmentation: Segmentation): string {
  validateSegmentation(segmentation);
  switch (segmentation.type) {
    case 'flat':
      return 'br-flat';
    case 'vlan':
      return `br-vlan${segmentation.id}`;
    case 'vxlan':
      return `br-vxlan${segmentation.id}`;
  }
}

export function validateSegmentation(seg: Segmentation): void {
  const { type, id } = seg;
  if (type === 'flat') {
    if (id !== null) throw new RangeError(`a flat network has no segmentation id (got ${id})`);
    return;
  }
  const max = type === 'vlan' ? 4094 : type === 'vxlan' ? 16777215 : undefined;
  if (max === undefined) throw new RangeError(`unknown segmentation type ${String(type)}`);
  if (id === null || !Number.isInteger(id) || id < 1 || id > max) {
    throw new RangeError(`${type} segmentation id must be an integer in 1-${max} (got ${id})`);
  }
}

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
