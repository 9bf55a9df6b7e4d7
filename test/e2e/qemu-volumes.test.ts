/**
 * Real volumes on real guests, through the API: the storage node's tgtd exports each volume
 * (a sparse file) with CHAP and an ACL for the attaching host, QEMU logs in through libiscsi.
 *  - a volume attached to a running instance appears in the guest with its size and serial;
 *    bytes written in the guest land in the volume's file; detached and attached to another
 *    instance, the bytes are still there; the host's ACL entry goes with the detach;
 *  - deleting an instance detaches its standalone volume (kept, available) and deletes the
 *    volume it was built with, with its target and file;
 *  - faults at attach_volume (error, hang, crash) leave no target or file behind: the
 *    invariant checker knows the storage node's targets and pool files.
 * One QEMU host; at most two guests at once. Skips without QEMU, except under CI=true.
 */
import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  FAST_FAILURE_ENV,
  armFault,
  clearFaults,
  deleteAndWait,
  waitAgentServing,
  waitSettled,
} from '../support/fault-cases.js';
import { actionLog, readStorage, waitUntilClean } from '../support/invariants.js';
import { guestFetch, guestGet, qemuSkip, uploadGuestImage, useQemuStack } from '../support/qemu-guests.js';
import type { TestStack } from '../support/stack.js';

const HOST = 'node-1';

interface GuestDisk {
  name: string;
  size: number;
  serial: string;
}

async function guestDisks(stack: TestStack, id: string): Promise<GuestDisk[]> {
  const info = await guestGet<{ disks: GuestDisk[] }>(stack, HOST, id, '/nimbus/info/');
  if (!info) throw new Error(`guest ${id} does not answer yet`);
  return info.disks;
}

/**
 * The volume's disk as the guest's kernel lists it (by the serial QEMU gives it, the volume id's
 * first 20 characters): it appears a moment after QEMU has it, through the guest's PCI hot-plug.
 */
function waitGuestDisk(stack: TestStack, id: string, volumeId: string, ms: number, what: string): Promise<GuestDisk> {
  const serial = volumeId.slice(0, 20);
  return stack.waitFor(async () => (await guestDisks(stack, id)).find((d) => d.serial === serial), ms, what);
}

async function bootGuest(stack: TestStack, name: string, volume?: object): Promise<string> {
  const body = { name, flavor: 'm1.tiny', image: 'nimbus-guest', network: 'default', ...(volume ? { volume } : {}) };
  const res = await stack.api('POST', '/v1/instances', body);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.id;
}

async function waitGuestUp(stack: TestStack, id: string): Promise<void> {
  const inst = await waitSettled(stack, id, 240_000);
  assert.equal(inst.status, 'ACTIVE', JSON.stringify(inst));
  await stack.waitFor(() => guestDisks(stack, id).catch(() => null), 120_000, `the guest endpoint of ${id}`);
}

async function volumeStatus(stack: TestStack, volumeId: string): Promise<string> {
  return (await stack.api('GET', `/v1/volumes/${volumeId}`)).body.status;
}

async function waitVolume(stack: TestStack, volumeId: string, status: string, ms = 60_000): Promise<void> {
  await stack.waitFor(async () => (await volumeStatus(stack, volumeId)) === status, ms, `volume ${status}`);
}

/** The volume's file in its pool on the storage node. */
async function volumeFile(stack: TestStack, volumeId: string): Promise<string> {
  const { body } = await stack.api('GET', `/v1/volumes/${volumeId}`);
  return path.join(stack.config.storagePoolDir, body.pool ?? 'default', `volume-${volumeId}.img`);
}

describe('iSCSI volumes from the storage node on QEMU guests', { skip: qemuSkip }, () => {
  const { stack, db, connection: temporal, guests } = useQemuStack([HOST], FAST_FAILURE_ENV);
  before(() => uploadGuestImage(stack, 'nimbus-guest'));

  it('attaches to a running guest, writes through, moves to another guest, and deletes with its instance', async () => {
    const [a, b] = [await bootGuest(stack, 'vol-a'), await bootGuest(stack, 'vol-b')];
    guests.push(a, b);
    await Promise.all([waitGuestUp(stack, a), waitGuestUp(stack, b)]);

    const created = await stack.api('POST', '/v1/volumes', { name: 'data', sizeGb: 1 });
    assert.ok([201, 202].includes(created.status), JSON.stringify(created.body));
    const volumeId: string = created.body.id;
    await waitVolume(stack, volumeId, 'available');
    const serial = volumeId.slice(0, 20);

    const attachedAt = Date.now();
    const attach = await stack.api('POST', `/v1/instances/${a}/volumes`, { volumeId });
    assert.equal(attach.status, 202, JSON.stringify(attach.body));
    const seen = await waitGuestDisk(stack, a, volumeId, 60_000, 'the volume in guest a');
    const attachMs = Date.now() - attachedAt;
    assert.equal(seen.size, 2 ** 30, "the guest sees the volume's size");
    await waitVolume(stack, volumeId, 'in-use');
    const { body: shown } = await stack.api('GET', `/v1/instances/${a}`);
    const connection = shown.volumes.find((v: { id: string }) => v.id === volumeId)?.connection;
    const storage = await readStorage(stack.config);
    assert.ok(storage?.targets.includes(volumeId), 'the storage node exports it');
    const about = JSON.parse(await readFile(path.join(stack.config.storagePoolDir, 'tgtd.json'), 'utf8'));
    assert.equal(connection?.targetPortal, about.portal, 'the API shows the portal tgtd listens on');
    assert.equal(connection?.targetLun, 1);

    const bytes = `nimbus-${volumeId.slice(0, 8)}`;
    const offset = 8192;
    const url = `/cgi-bin/disk?serial=${serial}`;
    const wrote = await guestFetch(stack, HOST, a, `${url}&op=write&offset=${offset}&data=${bytes}`);
    assert.equal(wrote?.status, 200, wrote?.body);
    const file = await volumeFile(stack, volumeId);
    const onDisk = Buffer.alloc(bytes.length);
    const fh = await open(file, 'r');
    await fh.read(onDisk, 0, bytes.length, offset);
    await fh.close();
    assert.equal(onDisk.toString(), bytes, "the guest's bytes are in the volume file");

    const detach = await stack.api('DELETE', `/v1/instances/${a}/volumes/${volumeId}`);
    assert.equal(detach.status, 202, JSON.stringify(detach.body));
    await waitVolume(stack, volumeId, 'available');
    assert.ok(
      (await guestDisks(stack, a)).every((d) => d.serial !== serial),
      'gone from guest a',
    );
    const log = (await actionLog(db, a)).join(' ');
    assert.match(log, /attach_volume@node-1:succeeded.*detach_volume@node-1:succeeded/);

    assert.equal((await stack.api('POST', `/v1/instances/${b}/volumes`, { volumeId })).status, 202);
    const read = await stack.waitFor(
      async () => {
        const r = await guestFetch(stack, HOST, b, `${url}&op=read&offset=${offset}&length=${bytes.length}`);
        return r?.status === 200 ? r.body : null;
      },
      60_000,
      'the volume in guest b',
    );
    assert.equal(read, bytes, 'the bytes moved with the volume');

    // Deleting b detaches the standalone volume and keeps it; a's end takes nothing of it.
    await deleteAndWait(stack, b);
    await deleteAndWait(stack, a);
    await waitVolume(stack, volumeId, 'available');

    // A build with its own volume: deleted with the instance, target and file too.
    const c = await bootGuest(stack, 'vol-c', { sizeGb: 1 });
    guests.push(c);
    await waitGuestUp(stack, c);
    const owned = (await stack.api('GET', `/v1/instances/${c}`)).body.volumes[0].id as string;
    // Hot-plugged during the build: QEMU has the disk when the build is ACTIVE, the guest's kernel
    // sees it a moment later, as with an attach to a running guest above.
    await waitGuestDisk(stack, c, owned, 30_000, 'the volume attached at build time in guest c');
    const ownedFile = await volumeFile(stack, owned);
    assert.ok((await readStorage(stack.config))?.files.includes(owned));
    await deleteAndWait(stack, c);
    assert.equal(await volumeStatus(stack, owned), 'deleted');
    const after = await readStorage(stack.config);
    assert.ok(!after?.files.includes(owned) && !after?.targets.includes(owned), `${ownedFile} and its target gone`);
    await waitUntilClean(stack, db);
    console.log(`# attach: POST /v1/instances/{id}/volumes -> disk in the guest ${attachMs} ms`);
  });

  for (const mode of ['error', 'hang', 'crash'] as const) {
    it(`${mode} at attach_volume: the build ends ERROR with no target or file left`, async () => {
      await clearFaults(stack, HOST);
      await waitAgentServing(stack, temporal, HOST);
      await armFault(stack, HOST, 'attach_volume', mode, 3);
      const id = await bootGuest(stack, `attach-${mode}`, { sizeGb: 1 });
      guests.push(id);
      let inst;
      try {
        inst = await waitSettled(stack, id, 240_000);
      } finally {
        await clearFaults(stack, HOST);
      }
      assert.equal(inst.status, 'ERROR', JSON.stringify(inst));
      assert.equal(inst.fault?.step, 'attach_volume', JSON.stringify(inst.fault));
      // The checker compares the storage node's targets and files with the live volumes.
      await waitUntilClean(stack, db, 30_000);
    });
  }
});
