/**
 * The fake volume backend (Cinder's VolumeDriver role), the host-side iSCSI connector
 * (os-brick's role) and the attachVolume / detachVolume activities that use them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createComputeActivities, type ComputeDeps } from '../../activities/compute.js';
import type { IscsiConnection } from '../../contracts/storage.js';
import { DomainError } from '../../core/errors.js';
import { createHypervisorDriver } from '../../core/hypervisor/driver-factory.js';
import { FakeVolumeBackend } from '../../core/storage/backends/fake.js';
import { attachSpecOf, IscsiConnector, VolumeConnectionInvalid } from '../../core/storage/connector.js';

const volumeId = '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d';
const volume = { volumeId, sizeGb: 1, pool: 'default' };

describe('FakeVolumeBackend', () => {
  it('exports a volume as one iSCSI target with CHAP and hands out connections with the credentials', async () => {
    const backend = new FakeVolumeBackend('192.0.2.10:3260');
    await backend.createVolume(volume);
    const exported = await backend.createExport(volume);
    assert.equal(exported.targetIqn, `iqn.2010-10.org.nimbus:volume-${volumeId}`);
    assert.deepEqual([exported.targetPortal, exported.targetLun], ['192.0.2.10:3260', 0]);
    assert.equal(exported.chapUsername, 'nimbus-6a5b4c3d');
    assert.match(exported.chapSecret, /^[\w-]{16}$/);
    assert.notEqual((await backend.createExport(volume)).chapSecret, exported.chapSecret, 'a fresh secret per export');
    assert.deepEqual(await backend.initializeConnection(exported, 'node-1'), {
      targetIqn: exported.targetIqn,
      targetPortal: '192.0.2.10:3260',
      targetLun: 0,
      authMethod: 'CHAP',
      authUsername: exported.chapUsername,
      authPassword: exported.chapSecret,
    });
    await backend.terminateConnection(volumeId, 'node-1');
    await backend.deleteVolume(volume);
    await backend.deleteVolume(volume);
  });

  it('refuses a volume that is not a whole number of GB', async () => {
    const backend = new FakeVolumeBackend('192.0.2.10:3260');
    await assert.rejects(
      backend.createVolume({ ...volume, sizeGb: 0.5 }),
      (err: unknown) => err instanceof DomainError,
    );
  });
});

const connection: IscsiConnection = {
  targetIqn: `iqn.2010-10.org.nimbus:volume-${volumeId}`,
  targetPortal: '192.0.2.10:3260',
  targetLun: 0,
  authMethod: 'CHAP',
  authUsername: 'nimbus-6a5b4c3d',
  authPassword: 'c2VjcmV0LXNlY3JldA',
};

describe('IscsiConnector', () => {
  it('turns a connection into what the hypervisor attaches: target, libiscsi URI, CHAP apart', async () => {
    const spec = await new IscsiConnector().connectVolume(volumeId, connection);
    assert.deepEqual(spec, {
      volumeId,
      connection: { targetIqn: connection.targetIqn, targetPortal: '192.0.2.10:3260', targetLun: 0 },
      uri: `iscsi://192.0.2.10:3260/${connection.targetIqn}/0`,
      auth: { username: 'nimbus-6a5b4c3d', secret: 'c2VjcmV0LXNlY3JldA' },
    });
    const { authMethod: _m, authUsername: _u, authPassword: _p, ...withoutChap } = connection;
    assert.equal(attachSpecOf(volumeId, withoutChap).auth, undefined, 'connections recorded before CHAP still attach');
    await new IscsiConnector().disconnectVolume(volumeId);
  });

  it('refuses connections the host cannot use', () => {
    const refused = (c: Partial<IscsiConnection>) =>
      assert.throws(
        () => attachSpecOf(volumeId, { ...connection, ...c }),
        (err: unknown) => err instanceof DomainError && err.code === VolumeConnectionInvalid && !err.retryable,
      );
    refused({ targetIqn: 'volume-1' });
    refused({ targetPortal: '192.0.2.10' });
    refused({ targetPortal: '192.0.2.10:70000' });
    refused({ targetLun: -1 });
    refused({ authPassword: undefined });
    refused({ authMethod: 'kerberos' as 'CHAP' });
  });
});

describe('attachVolume / detachVolume activities', () => {
  const nodeDir = mkdtempSync(path.join(os.tmpdir(), 'nimbus-attach-'));
  after(() => rmSync(nodeDir, { recursive: true, force: true }));

  it('connect, then attach; the domain records the target, never the CHAP secret', async () => {
    const driver = createHypervisorDriver({ type: 'fake', nodeDir });
    writeFileSync(path.join(nodeDir, 'disk.img'), 'bytes');
    const image = { imagePath: path.join(nodeDir, 'disk.img'), imageSha256: 'a'.repeat(64) };
    await driver.spawn({ instanceId: 'inst-1', name: 'web', vcpus: 1, ramMb: 512, diskGb: 1, ...image });
    // No database: the attachment is recorded by the workflow after the step (recordVolumeAttached).
    const deps = { host: 'node-1', driver, connector: new IscsiConnector() } as unknown as ComputeDeps;
    const activities = createComputeActivities(deps);
    const info = { volumeId, sizeGb: 1, connection };
    assert.deepEqual(
      await new MockActivityEnvironment().run(activities.attachVolume.bind(activities), {
        instanceId: 'inst-1',
        volume: info,
      }),
      { device: 'vdb' },
    );
    const domain = (await driver.getDomain('inst-1'))!;
    assert.deepEqual(domain.volumes, [
      {
        volumeId,
        connection: { targetIqn: connection.targetIqn, targetPortal: '192.0.2.10:3260', targetLun: 0 },
        device: 'vdb',
      },
    ]);
    assert.ok(!JSON.stringify(domain).includes(connection.authPassword!));
    await new MockActivityEnvironment().run(activities.detachVolume.bind(activities), {
      instanceId: 'inst-1',
      volumeId,
    });
    assert.deepEqual((await driver.getDomain('inst-1'))!.volumes, []);
  });
});
