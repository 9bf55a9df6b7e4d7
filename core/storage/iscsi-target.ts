import { randomBytes } from 'node:crypto';
import type { VolumeExport } from './backends/backend.js';

/** Cinder's default target prefix, with our own domain: one target per volume. */
export const IQN_PREFIX = 'iqn.2010-10.org.nimbus:volume-';

/** The export a Cinder LVM/iSCSI backend would publish for a volume: one target per volume, LUN 0, CHAP. */
export function iscsiExportFor(volumeId: string, portal: string): VolumeExport {
  return {
    targetIqn: `${IQN_PREFIX}${volumeId}`,
    targetPortal: portal,
    targetLun: 0,
    chapUsername: `nimbus-${volumeId.slice(0, 8)}`,
    chapSecret: randomBytes(12).toString('base64url'),
  };
}
