import { existsSync } from 'node:fs';
import { DriverCodes } from '../../../contracts/errors.js';
import { DomainError } from '../../errors.js';
import type { VifSpec, VolumeAttachSpec } from '../driver.js';
import { QmpError, type QmpClient, type QmpWaitOptions } from './qmp-client.js';

/** libiscsi's login refusals as QEMU words them: a wrong CHAP secret, or no ACL entry for this initiator. */
const LOGIN_REFUSED = /Failed to log in|Authentication failure|Target not found|authoriz/i;

/**
 * The QMP sequences that hot-plug and unplug a guest's NICs and disks (measured in
 * ../shared/notes/data-plane.md). Device and node names derive from the port or volume id,
 * so a retried plug finds what an earlier attempt added.
 */

/** QEMU ids: a letter first, then letters, digits, '-', '_', '.'; at most 32 here. */
function qemuId(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}`;
}

export const nicDeviceId = (portId: string) => qemuId('nic', portId);
const netdevId = (portId: string) => qemuId('net', portId);
export const diskDeviceId = (volumeId: string) => qemuId('disk', volumeId);
const diskNode = (volumeId: string) => qemuId('vol', volumeId);
const protocolNode = (volumeId: string) => qemuId('proto', volumeId);
const secretId = (volumeId: string) => qemuId('sec', volumeId);

/**
 * A NIC with the port's MAC. With the port's tap on this host (the VIF driver made it),
 * the NIC is backed by it; without one (the fake VIF driver makes none) the guest still
 * sees a NIC with the port's MAC, connected to nothing: the honest state until real taps.
 */
export async function plugNic(qmp: QmpClient, vif: VifSpec, opts: QmpWaitOptions): Promise<{ hostDevice: boolean }> {
  const hostDevice = existsSync(`/sys/class/net/${vif.tapDevice}`);
  const device: Record<string, unknown> = { driver: 'virtio-net-pci', id: nicDeviceId(vif.portId), mac: vif.mac };
  if (hostDevice) {
    const netdev = { type: 'tap', id: netdevId(vif.portId), ifname: vif.tapDevice, script: 'no', downscript: 'no' };
    await ignoring(qmp.execute('netdev_add', netdev, opts), /Duplicate|already/);
    device.netdev = netdevId(vif.portId);
  }
  await ignoring(qmp.execute('device_add', device, opts), /Duplicate|already in use/);
  return { hostDevice };
}

export async function unplugNic(qmp: QmpClient, portId: string, hostDevice: boolean, opts: QmpWaitOptions) {
  await removeDevice(qmp, nicDeviceId(portId), opts);
  if (hostDevice) await ignoring(qmp.execute('netdev_del', { id: netdevId(portId) }, opts), /not found/i);
}

/**
 * A volume as a virtio disk whose serial is the volume id (the guest finds it by it).
 * `file://PATH` opens a local raw file; `iscsi://portal/iqn/lun` logs in through libiscsi,
 * with CHAP when the connector passed credentials (a QEMU secret object, never argv).
 */
export async function attachDisk(
  qmp: QmpClient,
  vol: VolumeAttachSpec,
  initiatorName: string,
  opts: QmpWaitOptions,
): Promise<void> {
  const node = diskNode(vol.volumeId);
  const uri =
    vol.uri ?? `iscsi://${vol.connection.targetPortal}/${vol.connection.targetIqn}/${vol.connection.targetLun}`;
  let file: Record<string, unknown>;
  if (uri.startsWith('file://')) {
    file = { driver: 'file', filename: decodeURIComponent(uri.slice('file://'.length)) };
  } else {
    const { targetPortal, targetIqn, targetLun } = vol.connection;
    file = {
      driver: 'iscsi',
      'node-name': protocolNode(vol.volumeId),
      transport: 'tcp',
      portal: targetPortal,
      target: targetIqn,
      lun: targetLun,
      'initiator-name': initiatorName,
    };
    if (vol.auth) {
      await ignoring(
        qmp.execute('object-add', { 'qom-type': 'secret', id: secretId(vol.volumeId), data: vol.auth.secret }, opts),
        /duplicate|already exists/i,
      );
      Object.assign(file, { user: vol.auth.username, 'password-secret': secretId(vol.volumeId) });
    }
  }
  try {
    await ignoring(qmp.execute('blockdev-add', { driver: 'raw', 'node-name': node, file }, opts), /Duplicate node/);
  } catch (err) {
    if (!(err instanceof QmpError && LOGIN_REFUSED.test(err.desc))) throw err;
    // Nothing was added but the secret: take it back, and say why no retry will help.
    await ignoring(qmp.execute('object-del', { id: secretId(vol.volumeId) }, opts), /not found/i);
    const why = `the target refused the login of ${initiatorName}: ${err.desc}`;
    throw new DomainError(DriverCodes.VolumeLoginRefused, `volume ${vol.volumeId}: ${why}`, { volumeId: vol.volumeId });
  }
  // virtio-blk serials hold 20 bytes: the guest sees the volume id's first 20 characters, as with Nova.
  const device = {
    driver: 'virtio-blk-pci',
    id: diskDeviceId(vol.volumeId),
    drive: node,
    serial: vol.volumeId.slice(0, 20),
  };
  await ignoring(qmp.execute('device_add', device, opts), /Duplicate/);
}

export async function detachDisk(qmp: QmpClient, volumeId: string, opts: QmpWaitOptions): Promise<void> {
  await removeDevice(qmp, diskDeviceId(volumeId), opts);
  await ignoring(qmp.execute('blockdev-del', { 'node-name': diskNode(volumeId) }, opts), /not found|find node/i);
  await ignoring(qmp.execute('object-del', { id: secretId(volumeId) }, opts), /not found/i);
}

/** device_del, then the guest's acknowledgement (DEVICE_DELETED); an absent device is a no-op. */
async function removeDevice(qmp: QmpClient, id: string, opts: QmpWaitOptions): Promise<void> {
  const deleted = qmp.waitForEvent('DEVICE_DELETED', (e) => e.data?.device === id, { ...opts, timeoutMs: 30_000 });
  deleted.catch(() => undefined);
  try {
    await qmp.execute('device_del', { id }, opts);
  } catch (err) {
    if (err instanceof QmpError && err.errorClass === 'DeviceNotFound') return;
    throw err;
  }
  await deleted;
}

/** Awaits a command, treating a refusal that means "already done" as success. */
async function ignoring(command: Promise<unknown>, already: RegExp): Promise<void> {
  try {
    await command;
  } catch (err) {
    if (err instanceof QmpError && already.test(err.desc)) return;
    throw err;
  }
}
