import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { InstanceRecords } from '../../core/instances/instance-records.js';
import { InstanceViews } from '../../core/instances/instance-view.js';
import { PortAllocator } from '../../core/network/port-allocator.js';
import { VolumeService } from '../../core/storage/volume-service.js';
import { insertInstance, insertNetwork, useTestDatabase } from '../support/database.js';

const PORTAL = '198.51.100.7:3260';

const t = useTestDatabase(({ db }) => ({
  views: new InstanceViews(db),
  records: new InstanceRecords(db),
  ports: new PortAllocator(db),
  volumes: new VolumeService(db, PORTAL),
}));

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('InstanceViews', () => {
  it('shows a built instance as the API contract does: addresses, volumes, attempts', async () => {
    const inst = await insertInstance(t.db, { flavor: 'm1.small' });
    const { networkId, projectId } = inst;
    const port = await t.ports.allocate({ instanceId: inst.id, networkId, host: 'node-2', projectId });
    const volumeId = randomUUID();
    const vol = await t.volumes.create({ volumeId, projectId: inst.projectId, sizeGb: 1, deleteOnTermination: true });
    await t.volumes.markAttached({ volumeId, instanceId: inst.id, host: 'node-2', device: 'vdb' });
    await t.records.recordAttempt(inst.id, 1, { host: 'node-1', outcome: 'refused', reason: 'host node-1 lacks RAM' });
    await t.records.recordAttempt(inst.id, 2, { host: 'node-2', outcome: 'claimed', reason: null });
    await t.records.markActive(inst.id, 'node-2');

    const view = await t.views.get(inst.id);
    assert.ok(view);
    assert.equal(view.id, inst.id);
    assert.equal(view.name, inst.name);
    assert.equal(view.projectId, inst.projectId);
    assert.equal(view.status, 'ACTIVE');
    assert.equal(view.taskState, null);
    assert.equal(view.host, 'node-2');
    assert.equal(view.flavor, 'm1.small');
    assert.equal(view.image, inst.imageName);
    assert.deepEqual(view.addresses, [
      { network: 'default', ip: port.ip, mac: port.mac, portId: port.portId, segmentation: { type: 'vlan', id: 100 } },
    ]);
    assert.match(view.addresses[0].ip, /^10\.0\.0\.\d+$/);
    assert.deepEqual(view.volumes, [
      {
        id: volumeId,
        sizeGb: 1,
        status: 'in-use',
        device: 'vdb',
        deleteOnTermination: true,
        connection: { targetIqn: vol.targetIqn, targetPortal: PORTAL, targetLun: 0 },
      },
    ]);
    assert.deepEqual(view.attempts, [
      { host: 'node-1', outcome: 'refused', reason: 'host node-1 lacks RAM' },
      { host: 'node-2', outcome: 'claimed', reason: null },
    ]);
    assert.equal(view.fault, null);
    assert.match(view.createdAt, ISO);
    assert.match(view.updatedAt, ISO);
    assert.match(view.launchedAt ?? '', ISO);
  });

  it('shows a failed build with its fault and nothing left attached', async () => {
    const inst = await insertInstance(t.db, { taskState: 'networking', host: 'node-1' });
    const net = await insertNetwork(t.db, '10.77.0.0/29', { segmentationType: 'flat', segmentationId: null });
    await t.ports.allocate({ instanceId: inst.id, networkId: net.id, host: 'node-1' });
    await t.ports.deallocate(inst.id);
    await t.records.recordAttempt(inst.id, 1, { host: 'node-1', outcome: 'claimed', reason: null });
    await t.records.recordFault(inst.id, {
      code: 'NetworkExhausted',
      message: 'network full',
      step: 'allocate_port',
      host: null,
    });

    const view = await t.views.get(inst.id);
    assert.ok(view);
    assert.equal(view.status, 'ERROR');
    assert.equal(view.taskState, null);
    assert.deepEqual(view.fault, {
      code: 'NetworkExhausted',
      message: 'network full',
      step: 'allocate_port',
      host: null,
    });
    assert.deepEqual(view.addresses, []);
    assert.deepEqual(view.volumes, []);
    assert.equal(view.launchedAt, null);
  });

  it('shows a port on a flat network with a null segmentation id, and a detached volume not at all', async () => {
    const net = await insertNetwork(t.db, '10.78.0.0/28', { segmentationType: 'flat', segmentationId: null });
    const inst = await insertInstance(t.db, { networkId: net.id });
    const port = await t.ports.allocate({ instanceId: inst.id, networkId: net.id, host: 'node-1' });
    const volumeId = randomUUID();
    await t.volumes.create({ volumeId, projectId: inst.projectId, sizeGb: 1, deleteOnTermination: false });
    await t.volumes.markAttached({ volumeId, instanceId: inst.id, host: 'node-1', device: 'vdb' });
    await t.volumes.markDetached(volumeId);
    const view = await t.views.get(inst.id);
    assert.deepEqual(view?.addresses, [
      { network: net.name, ip: port.ip, mac: port.mac, portId: port.portId, segmentation: { type: 'flat', id: null } },
    ]);
    assert.deepEqual(view?.volumes, []);
  });

  it('get answers null for an unknown id, or for another project', async () => {
    const inst = await insertInstance(t.db);
    assert.equal(await t.views.get(randomUUID()), null);
    assert.equal(await t.views.get(inst.id, randomUUID()), null);
    assert.equal((await t.views.get(inst.id, inst.projectId))?.id, inst.id);
  });

  it('list filters by project, status and host, newest first', async () => {
    const host = `view-${randomUUID().slice(0, 8)}`;
    const a = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const b = await insertInstance(t.db, { status: 'ERROR', taskState: null, host });
    const c = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    await t.db.query(`UPDATE instances SET created_at = created_at - interval '1 minute' WHERE id = $1`, [a.id]);
    const onHost = await t.views.list({ host });
    assert.deepEqual(
      onHost.map((v) => v.id),
      [c.id, b.id, a.id],
    );
    assert.deepEqual(
      (await t.views.list({ host, status: 'ACTIVE' })).map((v) => v.id),
      [c.id, a.id],
    );
    assert.deepEqual(
      (await t.views.list({ host, limit: 1 })).map((v) => v.id),
      [c.id],
    );
    assert.deepEqual(await t.views.list({ host, projectId: randomUUID() }), []);
    assert.equal((await t.views.list({ host, projectId: a.projectId })).length, 3);
  });
});
