import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { DomainError, NotFoundError } from '../../core/errors.js';
import { findVolume, listVolumes } from '../../core/storage/volume-listing.js';
import { VolumeService } from '../../core/storage/volume-service.js';
import { useTestDatabase } from '../support/database.js';

/**
 * Standalone volumes and their use by builds: reserve (available → attaching, keyed by
 * volume and instance), attach, detach or unreserve (back to available, never deleted),
 * and a user's delete that refuses anything held.
 */

let volumes: VolumeService;
let projectId: string;
let otherProjectId: string;

const t = useTestDatabase(async ({ db }) => {
  volumes = new VolumeService(db, '192.0.2.10:3260');
  [{ id: projectId }] = await db.query(`SELECT id FROM projects WHERE name = 'admin'`);
  [{ id: otherProjectId }] = await db.query(`INSERT INTO projects (name) VALUES ('other') RETURNING id`);
});

function standalone(sizeGb = 1, project = projectId) {
  return volumes.create({
    volumeId: randomUUID(),
    projectId: project,
    sizeGb,
    name: 'data',
    deleteOnTermination: false,
  });
}

function reserve(volumeId: string, instanceId: string, project = projectId) {
  return volumes.reserve({ volumeId, instanceId, projectId: project, host: 'node-2' });
}

function refused(code: string, message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof DomainError, `expected DomainError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.retryable, false);
    assert.match(err.message, message);
    return true;
  };
}

async function state(volumeId: string) {
  const v = (await findVolume(t.db, volumeId))!;
  return { status: v.status, attachment: v.attachment };
}

async function allocated(): Promise<number> {
  const [{ n }] = await t.db.query(`SELECT sum(allocated_gb)::int AS n FROM storage_pools`);
  return n;
}

describe('standalone volumes and reservations', () => {
  it('reserve → attach → detach: attaching, in-use, available; the volume and its room stay', async () => {
    const v = await standalone(3);
    const room = await allocated();
    const instanceId = randomUUID();
    const reserved = await reserve(v.id, instanceId);
    assert.equal(reserved.status, 'attaching');
    assert.deepEqual(volumes.connectionOf(reserved), volumes.connectionOf(v));
    assert.deepEqual(await state(v.id), {
      status: 'attaching',
      attachment: { instanceId, host: 'node-2', device: null },
    });
    // A retried reservation by the same build is the same reservation.
    assert.equal((await reserve(v.id, instanceId)).status, 'attaching');
    assert.deepEqual(await volumes.attachmentsOf(instanceId), [
      { volumeId: v.id, deleteOnTermination: false, pool: v.pool },
    ]);

    await volumes.markAttached({ volumeId: v.id, instanceId, host: 'node-2', device: 'vdb' });
    assert.deepEqual(await state(v.id), {
      status: 'in-use',
      attachment: { instanceId, host: 'node-2', device: 'vdb' },
    });
    assert.equal((await reserve(v.id, instanceId)).status, 'in-use', 'a retry after the attach changes nothing');

    await volumes.markDetached(v.id);
    assert.deepEqual(await state(v.id), { status: 'available', attachment: null });
    assert.equal(await allocated(), room);
  });

  it('a second build, another project, a build-owned or a deleted volume cannot be reserved', async () => {
    const v = await standalone();
    await reserve(v.id, randomUUID());
    await assert.rejects(reserve(v.id, randomUUID()), refused('VolumeNotAvailable', /is attaching, not available/));

    const theirs = await standalone(1, otherProjectId);
    await assert.rejects(
      reserve(theirs.id, randomUUID()),
      refused('VolumeNotAvailable', /does not exist in the instance's project/),
    );
    await assert.rejects(reserve(randomUUID(), randomUUID()), refused('VolumeNotAvailable', /does not exist/));

    const owned = await volumes.create({ volumeId: randomUUID(), projectId, sizeGb: 1, deleteOnTermination: true });
    await assert.rejects(reserve(owned.id, randomUUID()), refused('VolumeNotAvailable', /belongs to another instance/));

    const gone = await standalone();
    await volumes.deleteDetached(gone.id);
    await assert.rejects(reserve(gone.id, randomUUID()), refused('VolumeNotAvailable', /does not exist/));
  });

  it('of ten builds reserving one volume at once, exactly one holds it', async () => {
    const v = await standalone();
    const builds = Array.from({ length: 10 }, () => randomUUID());
    const results = await Promise.allSettled(builds.map((id) => reserve(v.id, id)));
    const winners = builds.filter((_, i) => results[i].status === 'fulfilled');
    assert.equal(winners.length, 1);
    for (const r of results) if (r.status === 'rejected') refused('VolumeNotAvailable', /not available/)(r.reason);
    assert.deepEqual((await state(v.id)).attachment?.instanceId, winners[0]);
  });

  it('unreserve gives the volume back, only for the build that holds it, and never deletes it', async () => {
    const v = await standalone();
    const first = randomUUID();
    await reserve(v.id, first);
    await volumes.unreserve({ volumeId: v.id, instanceId: randomUUID() });
    assert.equal((await state(v.id)).status, 'attaching', "another build's undo leaves it alone");
    await volumes.unreserve({ volumeId: v.id, instanceId: first });
    assert.deepEqual(await state(v.id), { status: 'available', attachment: null });

    // A late undo of the first build must not free the volume a second build took since.
    const second = randomUUID();
    await reserve(v.id, second);
    await volumes.unreserve({ volumeId: v.id, instanceId: first });
    assert.deepEqual(await state(v.id), {
      status: 'attaching',
      attachment: { instanceId: second, host: 'node-2', device: null },
    });
    // Unreserving an attached volume (the host's detach failed) still returns it.
    await volumes.markAttached({ volumeId: v.id, instanceId: second, host: 'node-2', device: 'vdb' });
    await volumes.unreserve({ volumeId: v.id, instanceId: second });
    assert.deepEqual(await state(v.id), { status: 'available', attachment: null });
    await volumes.unreserve({ volumeId: randomUUID(), instanceId: second });
  });

  it('a late detach, delete or attach retry of an undone build leaves the volume with the build that holds it now', async () => {
    const v = await standalone();
    const a = randomUUID();
    const b = randomUUID();
    await reserve(v.id, a);
    await volumes.unreserve({ volumeId: v.id, instanceId: a });
    await reserve(v.id, b);
    await volumes.markAttached({ volumeId: v.id, instanceId: b, host: 'node-2', device: 'vdb' });
    const held = { status: 'in-use', attachment: { instanceId: b, host: 'node-2', device: 'vdb' } };

    // A's undos, retried late (the compute agent's detach, DeleteInstance's steps): no-ops now.
    await volumes.markDetached(v.id, a);
    assert.deepEqual(await state(v.id), held, "A's late detach must not free B's volume");
    await volumes.delete(v.id, a);
    assert.deepEqual(await state(v.id), held, "A's late delete must not delete B's volume");
    await assert.rejects(
      volumes.markAttached({ volumeId: v.id, instanceId: a, host: 'node-1', device: 'vdc' }),
      refused('VolumeNotAvailable', /held by another instance/),
    );
    assert.deepEqual(await state(v.id), held, "A's late attach must not take it over");

    // A build's own volume is never another instance's to delete or detach.
    const owned = await volumes.create({
      volumeId: randomUUID(),
      projectId,
      sizeGb: 1,
      deleteOnTermination: true,
      instanceId: b,
    });
    await volumes.delete(owned.id, a);
    await volumes.markDetached(owned.id, a);
    assert.equal((await findVolume(t.db, owned.id))!.status, 'available');
    await volumes.delete(owned.id, b);
    assert.equal((await findVolume(t.db, owned.id))!.status, 'deleted');

    // B's own detach still works.
    await volumes.markDetached(v.id, b);
    assert.deepEqual(await state(v.id), { status: 'available', attachment: null });
  });

  it('a reserved volume detached by the host (the build failed at attach) is available again', async () => {
    const v = await standalone();
    await reserve(v.id, randomUUID());
    await volumes.markDetached(v.id);
    assert.deepEqual(await state(v.id), { status: 'available', attachment: null });
  });

  it("a user's delete refuses a held or build-owned volume, frees the room of a detached one, and repeats harmlessly", async () => {
    const v = await standalone(4);
    const instanceId = randomUUID();
    await reserve(v.id, instanceId);
    await assert.rejects(volumes.deleteDetached(v.id), refused('VolumeInUse', /is attaching: detach it/));
    await volumes.markAttached({ volumeId: v.id, instanceId, host: 'node-2', device: 'vdb' });
    await assert.rejects(volumes.deleteDetached(v.id), refused('VolumeInUse', /is in-use/));
    const owned = await volumes.create({ volumeId: randomUUID(), projectId, sizeGb: 1, deleteOnTermination: true });
    await assert.rejects(volumes.deleteDetached(owned.id), refused('VolumeInUse', /deleted with it/));

    await volumes.markDetached(v.id);
    await assert.rejects(
      volumes.deleteDetached(v.id, otherProjectId),
      (err) => err instanceof NotFoundError,
      "another project's volume is not found",
    );
    const room = await allocated();
    await volumes.deleteDetached(v.id, projectId);
    assert.equal(await allocated(), room - 4);
    const gone = (await findVolume(t.db, v.id))!;
    assert.equal(gone.status, 'deleted');
    assert.equal(gone.chapSecret, null);
    await volumes.deleteDetached(v.id);
    assert.equal(await allocated(), room - 4);
    await assert.rejects(volumes.deleteDetached(randomUUID()), (err) => err instanceof NotFoundError);
  });

  it('lists by project, instance and status; deleted ones only when asked', async () => {
    const mine = await standalone();
    const theirs = await standalone(1, otherProjectId);
    const instanceId = randomUUID();
    await reserve(mine.id, instanceId);
    const deleted = await standalone();
    await volumes.deleteDetached(deleted.id);

    const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
    const ofMine = ids(await listVolumes(t.db, { projectId }));
    assert.ok(ofMine.includes(mine.id) && !ofMine.includes(theirs.id) && !ofMine.includes(deleted.id));
    assert.deepEqual(ids(await listVolumes(t.db, { instanceId })), [mine.id]);
    assert.ok(ids(await listVolumes(t.db, { status: 'deleted' })).includes(deleted.id));
    assert.ok(!ids(await listVolumes(t.db, { status: 'available' })).includes(mine.id));
    assert.equal(await findVolume(t.db, theirs.id, projectId), null);
    assert.equal((await findVolume(t.db, theirs.id, otherProjectId))?.projectId, otherProjectId);
    assert.equal((await findVolume(t.db, deleted.id))?.status, 'deleted');
  });
});
