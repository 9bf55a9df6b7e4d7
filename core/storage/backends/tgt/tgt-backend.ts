import type { IscsiConnection } from '../../../../contracts/storage.js';
import { initiatorIqnOf } from '../../../../contracts/storage.js';
import { DriverCodes } from '../../../../contracts/errors.js';
import { DomainError, ValidationError } from '../../../errors.js';
import { IQN_PREFIX, TGT_LUN, iscsiExportFor } from '../../iscsi-target.js';
import type { BackendVolume, StorageNode, VolumeBackend, VolumeExport } from '../backend.js';
import { PoolFiles, type ExportRecord } from './pool-files.js';
import type { Tgtadm, TgtTarget } from './tgtadm.js';

/**
 * Cinder's LVM/iSCSI driver with tgt, on files: each volume a sparse file in its pool,
 * exported as one target (IQN with the volume id) with one LUN, a CHAP account of its own,
 * and an ACL with the initiator of each host that attaches it. Runs on the storage node,
 * which owns tgtd (tgtd.ts); every call is idempotent, keyed by the volume id.
 */
export class TgtVolumeBackend implements VolumeBackend, StorageNode {
  readonly files: PoolFiles;

  constructor(
    private readonly tgtadm: Tgtadm,
    poolRoot: string,
    private readonly portal: string,
  ) {
    this.files = new PoolFiles(poolRoot);
  }

  async createVolume(volume: BackendVolume): Promise<void> {
    if (!Number.isInteger(volume.sizeGb) || volume.sizeGb < 1) {
      throw new ValidationError('sizeGb', `a volume is a whole number of GB (got ${volume.sizeGb})`);
    }
    await this.files.createImage(volume.pool, volume.volumeId, volume.sizeGb);
  }

  /** Exports with the credentials it made before, else fresh ones (a random CHAP secret per volume). */
  async createExport(volume: BackendVolume): Promise<VolumeExport> {
    const known = await this.files.readRecord(volume.pool, volume.volumeId);
    const exp = known ?? iscsiExportFor(volume.volumeId, this.portal, TGT_LUN);
    await this.applyExport(volume, exp, known?.initiators ?? []);
    return pickExport(exp);
  }

  /**
   * Makes tgtd export the volume as recorded (the control plane's record, or the node's own
   * after a tgtd restart): file, target, LUN, CHAP account, and the initiators let in.
   */
  async applyExport(volume: BackendVolume, exp: VolumeExport, initiators: string[]): Promise<void> {
    const file = await this.files.createImage(volume.pool, volume.volumeId, volume.sizeGb);
    const targets = await this.tgtadm.targets();
    let target = targets.find((t) => t.iqn === exp.targetIqn);
    if (!target) {
      const tid = Math.max(0, ...targets.map((t) => t.tid)) + 1;
      await this.tgtadm.newTarget(tid, exp.targetIqn);
      target = { tid, iqn: exp.targetIqn, backingFiles: [], accounts: [], acl: [] };
    }
    if (!target.backingFiles.includes(file)) await this.tgtadm.newLun(target.tid, TGT_LUN, file);
    if (!target.accounts.includes(exp.chapUsername)) {
      await this.tgtadm.setAccount(exp.chapUsername, exp.chapSecret);
      await this.tgtadm.bindAccount(target.tid, exp.chapUsername);
    }
    const known = (await this.files.readRecord(volume.pool, volume.volumeId))?.initiators ?? [];
    const allowed = [...new Set([...known, ...initiators])];
    for (const iqn of allowed) {
      if (!target.acl.includes(iqn)) await this.tgtadm.allowInitiator(target.tid, iqn);
    }
    const record: ExportRecord = { ...pickExport(exp), ...volume, initiators: allowed };
    await this.files.writeRecord(record);
  }

  exportVolume(volume: BackendVolume, exported: VolumeExport, initiatorIqn: string): Promise<void> {
    return this.applyExport(volume, exported, [initiatorIqn]);
  }

  async unexportVolume(volumeId: string, initiatorIqn: string): Promise<void> {
    const found = (await this.files.list()).find((f) => f.volumeId === volumeId);
    if (!found?.record) return;
    const target = await this.target(found.record.targetIqn);
    if (target?.acl.includes(initiatorIqn)) await this.tgtadm.disallowInitiator(target.tid, initiatorIqn);
    const initiators = found.record.initiators.filter((i) => i !== initiatorIqn);
    await this.files.writeRecord({ ...found.record, initiators });
  }

  async destroyVolume(volumeId: string, pool?: string): Promise<void> {
    const found = pool ?? (await this.files.list()).find((f) => f.volumeId === volumeId)?.pool;
    if (found) await this.deleteVolume({ volumeId, sizeGb: 0, pool: found });
    else await this.removeTarget(iscsiExportFor(volumeId, this.portal).targetIqn);
  }

  /** Lets the host's initiator in (an ACL entry) and hands out the connection with its CHAP credentials. */
  async initializeConnection(exported: VolumeExport, host: string | null): Promise<IscsiConnection> {
    if (host !== null) await this.allowHost(exported.targetIqn, initiatorIqnOf(host));
    const { targetIqn, targetPortal, targetLun, chapUsername, chapSecret } = exported;
    return {
      targetIqn,
      targetPortal,
      targetLun,
      authMethod: 'CHAP',
      authUsername: chapUsername,
      authPassword: chapSecret,
    };
  }

  /** Ends a host's access (its ACL entry), or every host's when host is null. */
  async terminateConnection(volumeId: string, host: string | null): Promise<void> {
    const found = (await this.files.list()).find((f) => f.volumeId === volumeId);
    const gone = host === null ? (found?.record?.initiators ?? []) : [initiatorIqnOf(host)];
    for (const iqn of gone) await this.unexportVolume(volumeId, iqn);
  }

  /** Removes the target, its CHAP account and the file; a missing volume is a no-op. */
  async deleteVolume(volume: BackendVolume): Promise<void> {
    const record = await this.files.readRecord(volume.pool, volume.volumeId);
    await this.removeTarget(record?.targetIqn ?? iscsiExportFor(volume.volumeId, this.portal).targetIqn);
    await this.files.remove(volume.pool, volume.volumeId);
  }

  /** Re-creates every recorded export (tgtd restarted and forgot them all). */
  async reexportAll(): Promise<number> {
    let count = 0;
    for (const { record } of await this.files.list()) {
      if (!record) continue;
      const { volumeId, sizeGb, pool, initiators } = record;
      await this.applyExport({ volumeId, sizeGb, pool }, record, initiators);
      count++;
    }
    return count;
  }

  /**
   * Removes what no live volume owns: files and targets of volumes the control plane does
   * not report (a build that crashed between steps, a volume deleted while this node was down).
   */
  async reconcile(liveVolumeIds: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const f of await this.files.list()) {
      if (liveVolumeIds.has(f.volumeId)) continue;
      await this.deleteVolume({ volumeId: f.volumeId, sizeGb: 0, pool: f.pool });
      removed.push(f.volumeId);
    }
    for (const t of await this.tgtadm.targets()) {
      const volumeId = volumeIdOfTarget(t);
      if (volumeId === null || liveVolumeIds.has(volumeId)) continue;
      await this.removeTarget(t.iqn);
      removed.push(volumeId);
    }
    return [...new Set(removed)];
  }

  /** What the node exports and stores, for the invariant checker. */
  async inventory(): Promise<{ targets: string[]; files: string[] }> {
    const targets = (await this.tgtadm.targets()).map(volumeIdOfTarget).filter((v): v is string => v !== null);
    const files = (await this.files.list()).map((f) => f.volumeId);
    return { targets, files };
  }

  private async allowHost(targetIqn: string, initiator: string): Promise<void> {
    const target = await this.target(targetIqn);
    const found = (await this.files.list()).find((f) => f.record?.targetIqn === targetIqn);
    if (!target || !found?.record) {
      const why = `target ${targetIqn} is not exported on this storage node`;
      throw new DomainError(DriverCodes.IscsiTargetFailed, why, { targetIqn });
    }
    if (!target.acl.includes(initiator)) await this.tgtadm.allowInitiator(target.tid, initiator);
    const initiators = [...new Set([...found.record.initiators, initiator])];
    await this.files.writeRecord({ ...found.record, initiators });
  }

  private async removeTarget(iqn: string): Promise<void> {
    const target = await this.target(iqn);
    if (!target) return;
    await this.tgtadm.deleteTarget(target.tid);
    for (const user of target.accounts) await this.tgtadm.deleteAccount(user);
  }

  private async target(iqn: string): Promise<TgtTarget | undefined> {
    return (await this.tgtadm.targets()).find((t) => t.iqn === iqn);
  }
}

function pickExport(exp: VolumeExport): VolumeExport {
  const { targetIqn, targetPortal, targetLun, chapUsername, chapSecret } = exp;
  return { targetIqn, targetPortal, targetLun, chapUsername, chapSecret };
}

/** The volume id in one of our targets' IQN; null for a target that is not ours. */
export function volumeIdOfTarget(t: Pick<TgtTarget, 'iqn'>): string | null {
  const id = t.iqn.startsWith(IQN_PREFIX) ? t.iqn.slice(IQN_PREFIX.length) : '';
  return /^[A-Za-z0-9-]+$/.test(id) ? id : null;
}
