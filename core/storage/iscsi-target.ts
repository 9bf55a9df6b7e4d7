import { randomBytes } from 'node:crypto';

export interface IscsiExport {
  targetIqn: string;
  targetPortal: string;
  targetLun: number;
  chapUsername: string;
  chapSecret: string;
}

/** The export a Cinder LVM/iSCSI backend would publish for a volume: one target per volume, LUN 0. */
export function iscsiExportFor(volumeId: string, portal: string): IscsiExport {
  return {
    targetIqn: `iqn.2010-10.org.nimbus:volume-${volumeId}`,
    targetPortal: portal,
    targetLun: 0,
    chapUsername: `nimbus-${volumeId.slice(0, 8)}`,
    chapSecret: randomBytes(12).toString('base64url'),
  };
}
