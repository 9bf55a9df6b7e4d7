import { randomBytes } from 'node:crypto';
import type { VolumeExport } from './backends/backend.js';

/** Cinder's default target prefix, with our own domain: one target per volume. */
export const IQN_PREFIX = 'iqn.2010-10.org.nimbus:volume-';

/** tgt's LUN 0 is the target's controller; a volume is LUN 1 (as Cinder's tgt helper has it). */
export const TGT_LUN = 1;

/** The export a Cinder LVM/iSCSI backend would publish for a volume: one target per volume, one LUN, CHAP. */
export function iscsiExportFor(volumeId: string, portal: string, lun = 0): VolumeExport {
  return {
    targetIqn: `${IQN_PREFIX}${volumeId}`,
    targetPortal: portal,
    targetLun: lun,
    chapUsername: `nimbus-${volumeId.slice(0, 8)}`,
    chapSecret: randomBytes(12).toString('base64url'),
  };
}

/** The LUN volumes are exported on with the configured backend (NIMBUS_STORAGE_BACKEND). */
export function exportLunOf(backend: 'fake' | 'tgt'): number {
  return backend === 'tgt' ? TGT_LUN : 0;
}
