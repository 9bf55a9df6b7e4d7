import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeJsonAtomic } from '../../images/atomic-write.js';
import type { AttachedVolume, Domain, DomainSpec, DomainState, PluggedVif, VolumeAttachSpec } from '../driver.js';

/**
 * Where a QEMU instance's state lives on the node:
 *
 *   <nodeDir>/qemu/instances/<id>/domain.json   the spec and what was attached (the driver's record)
 *                                 qemu.pid      QEMU's pidfile (-pidfile)
 *                                 console.log   the serial console (-serial file:)
 *                                 disk.qcow2    the root disk, an overlay over the cached image
 *                                 volume-<volume id>.json  an attachment's spec with its CHAP
 *                                               secret (0600), to attach it again when QEMU restarts
 *   <nodeDir>/qemu/boot/<sha256>/                a kernel bundle's kernel and initrd (boot-files.ts)
 *   <tmpdir>/nimbus-qmp-<hash>/<id>.sock         the QMP socket
 *
 * The socket is the exception: a unix socket path must stay under 108 bytes, which a
 * checkout's data dir plus a UUID can exceed, so sockets live in a short per-node folder.
 */

/** A NIC as recorded: whether it got a host device (a tap) or is a guest NIC connected to nothing. */
export type RecordedVif = PluggedVif & { hostDevice?: boolean };

export interface DomainRecord extends DomainSpec {
  vifs: RecordedVif[];
  volumes: AttachedVolume[];
  /** 127.0.0.1 port forwarded to the guest's port 80 (user-mode networking), if any. */
  httpForwardPort?: number;
  createdAt: string;
  updatedAt: string;
}

/** -uuid needs a UUID, and ids become file names: nothing else is accepted. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isInstanceUuid(id: string): boolean {
  return UUID.test(id);
}

export class InstanceFiles {
  readonly instancesDir: string;
  readonly bootDir: string;
  readonly socketsDir: string;

  constructor(nodeDir: string) {
    const root = path.join(path.resolve(nodeDir), 'qemu');
    this.instancesDir = path.join(root, 'instances');
    this.bootDir = path.join(root, 'boot');
    const hash = createHash('sha256').update(root).digest('hex').slice(0, 12);
    this.socketsDir = path.join(tmpdir(), `nimbus-qmp-${hash}`);
  }

  dir(id: string): string {
    if (!isInstanceUuid(id)) throw new RangeError(`instance id ${JSON.stringify(id)} is not a lowercase UUID`);
    return path.join(this.instancesDir, id);
  }

  record(id: string): string {
    return path.join(this.dir(id), 'domain.json');
  }

  pidfile(id: string): string {
    return path.join(this.dir(id), 'qemu.pid');
  }

  console(id: string): string {
    return path.join(this.dir(id), 'console.log');
  }

  overlay(id: string): string {
    return path.join(this.dir(id), 'disk.qcow2');
  }

  qmpSocket(id: string): string {
    this.dir(id); // validates
    return path.join(this.socketsDir, `${id}.sock`);
  }

  private attachSpecFile(id: string, volumeId: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(volumeId)) throw new RangeError(`volume id ${JSON.stringify(volumeId)}`);
    return path.join(this.dir(id), `volume-${volumeId}.json`);
  }

  /** Kept apart from domain.json (which the driver shows): it holds the CHAP secret, like libvirt's secret store. */
  async writeAttachSpec(id: string, spec: VolumeAttachSpec): Promise<void> {
    await writeFile(this.attachSpecFile(id, spec.volumeId), JSON.stringify(spec), { mode: 0o600 });
  }

  async readAttachSpec(id: string, volumeId: string): Promise<VolumeAttachSpec | null> {
    const text = await readFile(this.attachSpecFile(id, volumeId), 'utf8').catch(() => null);
    return text === null ? null : (JSON.parse(text) as VolumeAttachSpec);
  }

  async removeAttachSpec(id: string, volumeId: string): Promise<void> {
    await rm(this.attachSpecFile(id, volumeId), { force: true });
  }

  async read(id: string): Promise<DomainRecord | null> {
    try {
      return JSON.parse(await readFile(this.record(id), 'utf8')) as DomainRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async write(record: DomainRecord): Promise<DomainRecord> {
    const updated = { ...record, updatedAt: new Date().toISOString() };
    await writeJsonAtomic(this.record(record.instanceId), updated);
    return updated;
  }
}

/** The record as the driver interface shows it, with the state QEMU reports. */
export function toDomain(record: DomainRecord, state: DomainState): Domain {
  const { instanceId, name, vcpus, ramMb, diskGb, imagePath, imageSha256, volumes, createdAt, updatedAt } = record;
  const vifs = record.vifs.map(stripVif);
  return { instanceId, name, vcpus, ramMb, diskGb, imagePath, imageSha256, state, vifs, volumes, createdAt, updatedAt };
}

export function stripVif(v: RecordedVif): PluggedVif {
  const { portId, mac, ip, networkId, segmentation, tapDevice, bridge } = v;
  return { portId, mac, ip, networkId, segmentation, tapDevice, bridge };
}
