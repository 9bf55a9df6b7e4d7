import { DriverCodes } from '../../contracts/errors.js';
import type { IscsiConnection } from '../../contracts/storage.js';
import { DomainError } from '../errors.js';
import type { OperationOptions, VolumeAttachSpec } from '../hypervisor/driver.js';

/**
 * The host side of a volume attachment (os-brick's connector): turns the connection the
 * volume service handed out into what the hypervisor attaches. Runs on the compute host,
 * before the hypervisor attaches (connect) and after it detached (disconnect).
 */
export interface VolumeConnector {
  connectVolume(volumeId: string, connection: IscsiConnection, opts?: OperationOptions): Promise<VolumeAttachSpec>;
  /** Ends the host's session for the volume; none is a no-op. */
  disconnectVolume(volumeId: string, opts?: OperationOptions): Promise<void>;
}

/** A connection the host cannot use (a malformed target, CHAP without credentials): no retry fixes it. */
export const VolumeConnectionInvalid = DriverCodes.VolumeConnectionInvalid;

const IQN = /^iqn\.\d{4}-\d{2}\.[a-z0-9.-]+(:[\x21-\x7e]+)?$/;
const PORTAL = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * The iSCSI connector for a hypervisor that logs in itself (QEMU's libiscsi): the host
 * keeps no session, so connecting is checking the connection and naming the disk as
 * `iscsi://portal/iqn/lun` with its CHAP credentials, and disconnecting has nothing to end.
 * A kernel-initiator connector (iscsiadm) would log in here and return a /dev path.
 */
export class IscsiConnector implements VolumeConnector {
  connectVolume(volumeId: string, connection: IscsiConnection, opts: OperationOptions = {}): Promise<VolumeAttachSpec> {
    opts.signal?.throwIfAborted();
    try {
      return Promise.resolve(attachSpecOf(volumeId, connection));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  disconnectVolume(_volumeId: string, opts: OperationOptions = {}): Promise<void> {
    opts.signal?.throwIfAborted();
    return Promise.resolve();
  }
}

/** What the hypervisor attaches for an iSCSI connection; throws VolumeConnectionInvalid. */
export function attachSpecOf(volumeId: string, connection: IscsiConnection): VolumeAttachSpec {
  const { targetIqn, targetPortal, targetLun } = connection;
  const refuse = (why: string) => new DomainError(VolumeConnectionInvalid, `volume ${volumeId}: ${why}`, { volumeId });
  if (!IQN.test(targetIqn ?? '')) throw refuse(`target ${JSON.stringify(targetIqn)} is not an iSCSI qualified name`);
  const portal = PORTAL.exec(targetPortal ?? '');
  if (!portal || Number(portal[2]) < 1 || Number(portal[2]) > 65535) {
    throw refuse(`portal ${JSON.stringify(targetPortal)} is not host:port`);
  }
  if (!Number.isInteger(targetLun) || targetLun < 0 || targetLun > 16383)
    throw refuse(`LUN ${targetLun} is not 0-16383`);
  const spec: VolumeAttachSpec = {
    volumeId,
    connection: { targetIqn, targetPortal, targetLun },
    uri: `iscsi://${targetPortal}/${targetIqn}/${targetLun}`,
  };
  if (connection.authMethod === undefined) return spec;
  if (connection.authMethod !== 'CHAP') throw refuse(`auth method ${String(connection.authMethod)} is not CHAP`);
  if (!connection.authUsername || !connection.authPassword) throw refuse('CHAP needs a user name and a secret');
  return { ...spec, auth: { username: connection.authUsername, secret: connection.authPassword } };
}
