/** The QMP sequences of hot-plug, against a fake QEMU that records the commands and answers like QEMU 7.2. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { attachDisk, detachDisk, plugNic } from '../../core/hypervisor/qemu/qemu-devices.js';
import { QmpClient } from '../../core/hypervisor/qemu/qmp-client.js';
import type { DomainError } from '../../core/errors.js';

type Cmd = { execute: string; arguments?: Record<string, unknown>; id?: number };

let dir: string;
let server: Server;
let qmp: QmpClient;
let sent: Cmd[];
/** Error replies by command name (QEMU's texts), for the "already done" cases. */
let refuse: Record<string, { class: string; desc: string }>;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nimbus-qmp-dev-'));
  sent = [];
  refuse = {};
  server = createServer((sock) => {
    sock.write('{"QMP": {"version": {}, "capabilities": []}}\r\n');
    let buf = '';
    sock.on('data', (chunk) => {
      buf += chunk.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const cmd = JSON.parse(buf.slice(0, nl)) as Cmd;
        buf = buf.slice(nl + 1);
        if (cmd.execute !== 'qmp_capabilities') sent.push(cmd);
        const error = refuse[cmd.execute];
        sock.write(JSON.stringify(error ? { error, id: cmd.id } : { return: {}, id: cmd.id }) + '\n');
        if (cmd.execute === 'device_del' && !error) {
          const event = { event: 'DEVICE_DELETED', data: { device: cmd.arguments?.id } };
          setTimeout(() => sock.write(JSON.stringify(event) + '\n'), 20);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'qmp.sock'), resolve));
  qmp = await QmpClient.connect(path.join(dir, 'qmp.sock'));
});

afterEach(async () => {
  qmp.close();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const INITIATOR = 'iqn.2010-10.org.nimbus:host-node-1';
const volumeId = '5e0c3a1b-2d4f-4a6b-8c9d-0e1f2a3b4c5d';
const connection = { targetIqn: 'iqn.2010-10.org.nimbus:volume-1', targetPortal: '127.0.0.1:3260', targetLun: 1 };

describe('QMP hot-plug sequences', () => {
  it('attaches an iSCSI volume with CHAP: secret object, iscsi node under raw, disk with the serial', async () => {
    await attachDisk(qmp, { volumeId, connection, auth: { username: 'u', secret: 's3cret' } }, INITIATOR, {});
    assert.deepEqual(
      sent.map((c) => c.execute),
      ['object-add', 'blockdev-add', 'device_add'],
    );
    assert.deepEqual(sent[0].arguments, { 'qom-type': 'secret', id: 'sec-5e0c3a1b2d4f4a6b8c9d0e1f', data: 's3cret' });
    const file = (sent[1].arguments as { file: Record<string, unknown> }).file;
    assert.equal(file.driver, 'iscsi');
    assert.equal(file.portal, '127.0.0.1:3260');
    assert.equal(file.target, connection.targetIqn);
    assert.equal(file.lun, 1);
    assert.equal(file.user, 'u');
    assert.equal(file['initiator-name'], INITIATOR, "the host's own initiator name, which the target's ACL names");
    assert.equal(file['password-secret'], 'sec-5e0c3a1b2d4f4a6b8c9d0e1f');
    assert.ok(!JSON.stringify(sent.slice(1)).includes('s3cret'), 'the secret travels only in object-add');
    assert.equal(sent[2].arguments?.serial, volumeId.slice(0, 20));
  });

  it('treats QEMU\'s "duplicate" refusals of a retried attach as done', async () => {
    refuse = {
      'object-add': {
        class: 'GenericError',
        desc: "attempt to add duplicate property 'sec-x' to object (type 'container')",
      },
      'blockdev-add': { class: 'GenericError', desc: "Duplicate nodes with node-name='vol-x'" },
      device_add: { class: 'GenericError', desc: "Duplicate device ID 'disk-x'" },
    };
    await attachDisk(qmp, { volumeId, connection, auth: { username: 'u', secret: 's' } }, INITIATOR, {});
    await attachDisk(qmp, { volumeId, connection, uri: 'file:///tmp/v.raw' }, INITIATOR, {});
  });

  it('turns a refused login (wrong CHAP secret) into VolumeLoginRefused and takes the secret back', async () => {
    const desc = 'iSCSI: Failed to connect to LUN : Failed to log in to target. Status: Authentication failure(513)';
    refuse = { 'blockdev-add': { class: 'GenericError', desc } };
    await assert.rejects(
      attachDisk(qmp, { volumeId, connection, auth: { username: 'u', secret: 'wrong' } }, INITIATOR, {}),
      (err: DomainError) => err.code === 'VolumeLoginRefused' && /Authentication failure/.test(err.message),
    );
    assert.deepEqual(
      sent.map((c) => c.execute),
      ['object-add', 'blockdev-add', 'object-del'],
    );
  });

  it('detaches by device_del, waits for DEVICE_DELETED, then deletes the node and the secret', async () => {
    await detachDisk(qmp, volumeId, {});
    assert.deepEqual(
      sent.map((c) => c.execute),
      ['device_del', 'blockdev-del', 'object-del'],
    );
    sent = [];
    refuse = {
      device_del: { class: 'DeviceNotFound', desc: "Device 'disk-x' not found" },
      'blockdev-del': { class: 'GenericError', desc: "Failed to find node with node-name='vol-x'" },
      'object-del': { class: 'GenericError', desc: "object 'sec-x' not found" },
    };
    await detachDisk(qmp, volumeId, {}); // a second detach finds nothing, and that is fine
  });

  it('plugs a NIC with the port MAC, without a netdev when the host has no tap for it', async () => {
    const vif = {
      ...{ portId: '3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b', mac: 'fa:16:3e:00:00:09', ip: '10.0.0.9', networkId: 'n' },
      ...{ segmentation: { type: 'flat' as const, id: null }, tapDevice: 'tapnosuchdev', bridge: null },
    };
    assert.deepEqual(await plugNic(qmp, vif, {}), { hostDevice: false });
    assert.deepEqual(sent, [
      {
        execute: 'device_add',
        arguments: { driver: 'virtio-net-pci', id: 'nic-3f1c9a2e5b7d4e8f9a0b1c2d', mac: 'fa:16:3e:00:00:09' },
        id: sent[0].id,
      },
    ]);
  });
});
