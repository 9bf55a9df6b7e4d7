import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { DomainError } from '../../core/errors.js';
import { VolumeService } from '../../core/storage/volume-service.js';
import { useTestDatabase } from '../support/database.js';

const PORTAL = '192.0.2.10:3260';

let volumes: VolumeService;
let projectId: string;

const t = useTestDatabase(async ({ db }) => {
  volumes = new VolumeService(db, PORTAL);
  [{ id: projectId }] = await db.query(`SELECT id FROM projects WHERE name = 'admin'`);
});

async function allocated(pool: string): Promise<number> {
  const [row] = await t.db.query(`SELECT allocated_gb FROM storage_pools WHERE name = $1`, [pool]);
  return row.allocated_gb;
}

async function totalAllocated(): Promise<number> {
  const [{ n }] = await t.db.query(`SELECT COALESCE(sum(allocated_gb), 0)::int AS n FROM storage_pools`);
  return n;
}

function create(sizeGb: number, volumeId = randomUUID()) {
  return volumes.create({
    volumeId,
    projectId,
    sizeGb,
    name: `vol-${volumeId.slice(0, 8)}`,
    deleteOnTermination: true,
  });
}

function poolExhausted(err: unknown): boolean {
  assert.ok(err instanceof DomainError, `expected DomainError, got ${String(err)}`);
  assert.equal(err.code, 'StoragePoolExhausted');
  assert.equal(err.retryable, false);
  assert.match(err.message, /no storage pool has \d+ GB free \(default: \d+ GB free/);
  return true;
}

describe('VolumeService', () => {
  it('creates an available volume exported over iSCSI at LUN 0, taking room in the pool', async () => {
    const before = await allocated('default');
    const volumeId = randomUUID();
    const v = await create(3, volumeId);
    assert.equal(v.id, volumeId);
    assert.equal(v.status, 'available');
    assert.equal(v.sizeGb, 3);
    assert.equal(v.pool, 'default');
    assert.equal(v.deleteOnTermination, true);
    assert.equal(v.targetIqn, `iqn.2010-10.org.nimbus:volume-${volumeId}`);
    assert.equal(v.targetPortal, PORTAL);
    assert.equal(v.targetLun, 0);
    assert.ok(v.chapUsername && v.chapSecret, 'CHAP credentials are set');
    assert.deepEqual(volumes.connectionOf(v), { targetIqn: v.targetIqn, targetPortal: PORTAL, targetLun: 0 });
    // What a host logs in with: the backend's connection, the recorded CHAP credentials with it.
    assert.deepEqual(await volumes.initializeConnection(v, 'node-1'), {
      targetIqn: v.targetIqn,
      targetPortal: PORTAL,
      targetLun: 0,
      authMethod: 'CHAP',
      authUsername: v.chapUsername,
      authPassword: v.chapSecret,
    });
    assert.equal(await allocated('default'), before + 3);
  });

  it('is idempotent by volume id: a retried create returns the same volume and takes no more room', async () => {
    const volumeId = randomUUID();
    const first = await create(2, volumeId);
    const before = await allocated('default');
    const again = await create(2, volumeId);
    assert.equal(again.id, first.id);
    assert.equal(again.targetIqn, first.targetIqn);
    assert.equal(again.chapSecret, first.chapSecret);
    assert.equal(await allocated('default'), before);
  });

  it('concurrent retries of one create make one volume and reserve its room once', async () => {
    const volumeId = randomUUID();
    const before = await totalAllocated();
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => create(2, volumeId)));
    assert.deepEqual(
      results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.value.status)),
      Array(4).fill('available'),
    );
    assert.equal(await totalAllocated(), before + 2);
  });

  it('finishes a create that crashed before its export', async () => {
    const volumeId = randomUUID();
    await t.db.query(
      `INSERT INTO volumes (id, project_id, size_gb, status, pool) VALUES ($1, $2, 4, 'creating', 'default')`,
      [volumeId, projectId],
    );
    await t.db.query(`UPDATE storage_pools SET allocated_gb = allocated_gb + 4 WHERE name = 'default'`);
    const before = await allocated('default');
    const v = await create(4, volumeId);
    assert.equal(v.status, 'available');
    assert.equal(v.targetLun, 0);
    assert.equal(await allocated('default'), before);
  });

  it('refuses a volume no pool can hold, writing nothing', async () => {
    const volumeId = randomUUID();
    const before = await totalAllocated();
    await assert.rejects(create(1_000_000, volumeId), poolExhausted);
    assert.equal(await totalAllocated(), before);
    const rows = await t.db.query(`SELECT 1 FROM volumes WHERE id = $1`, [volumeId]);
    assert.equal(rows.length, 0);
  });

  it('never over-commits a pool under concurrent creates', async () => {
    const pools: Array<{ name: string; capacity_gb: number }> = await t.db.query(
      `SELECT name, capacity_gb FROM storage_pools`,
    );
    // Leave 25 GB free in all pools together, then ask for 10 × 5 GB at once.
    await t.db.query(
      `UPDATE storage_pools SET capacity_gb = allocated_gb + CASE WHEN name = 'default' THEN 25 ELSE 0 END`,
    );
    try {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => create(5)));
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(results.length - refused.length, 5);
      for (const r of refused) poolExhausted(r.reason);
      const [row] = await t.db.query(
        `SELECT capacity_gb - allocated_gb AS free FROM storage_pools WHERE name = 'default'`,
      );
      assert.equal(row.free, 0);
    } finally {
      for (const p of pools)
        await t.db.query(`UPDATE storage_pools SET capacity_gb = $2 WHERE name = $1`, [p.name, p.capacity_gb]);
    }
  });

  it('takes room from the pool with the most free space', async () => {
    const name = `pool-${randomUUID().slice(0, 8)}`;
    await t.db.query(`INSERT INTO storage_pools (name, capacity_gb) VALUES ($1, 1000000)`, [name]);
    try {
      const v = await create(7);
      assert.equal(v.pool, name);
      assert.equal(await allocated(name), 7);
      await volumes.delete(v.id);
      assert.equal(await allocated(name), 0);
    } finally {
      await t.db.query(`DELETE FROM storage_pools WHERE name = $1`, [name]);
    }
  });

  it('markAttached makes it in-use with its attachment; markDetached makes it available again', async () => {
    const v = await create(1);
    const instanceId = randomUUID();
    await volumes.markAttached({ volumeId: v.id, instanceId, host: 'node-2', device: 'vdb' });
    await volumes.markAttached({ volumeId: v.id, instanceId, host: 'node-2', device: 'vdb' });
    assert.equal((await volumes.get(v.id)).status, 'in-use');
    assert.deepEqual(await volumes.attachmentsOf(instanceId), [
      { volumeId: v.id, deleteOnTermination: true, pool: v.pool },
    ]);
    const [att] = await t.db.query(`SELECT host, device FROM volume_attachments WHERE volume_id = $1`, [v.id]);
    assert.deepEqual(att, { host: 'node-2', device: 'vdb' });

    await volumes.markDetached(v.id);
    await volumes.markDetached(v.id);
    assert.equal((await volumes.get(v.id)).status, 'available');
    assert.deepEqual(await volumes.attachmentsOf(instanceId), []);
  });

  it('an attachment of another instance is not taken over: refused', async () => {
    const v = await create(1);
    const owner = randomUUID();
    await volumes.markAttached({ volumeId: v.id, instanceId: owner, host: 'node-1', device: 'vdb' });
    await assert.rejects(
      volumes.markAttached({ volumeId: v.id, instanceId: randomUUID(), host: 'node-3', device: 'vdc' }),
      (err: unknown) => (err as { code?: string }).code === 'VolumeNotAvailable',
    );
    const [att] = await t.db.query(`SELECT instance_id, host, device FROM volume_attachments WHERE volume_id = $1`, [
      v.id,
    ]);
    assert.deepEqual(att, { instance_id: owner, host: 'node-1', device: 'vdb' });
  });

  it('delete returns the room to the pool and clears the export; a second delete is a no-op', async () => {
    const v = await create(6);
    await volumes.markAttached({ volumeId: v.id, instanceId: randomUUID(), host: 'node-1', device: 'vdb' });
    const before = await allocated(v.pool);
    await volumes.delete(v.id);
    assert.equal(await allocated(v.pool), before - 6);
    const gone = await volumes.get(v.id);
    assert.equal(gone.status, 'deleted');
    assert.deepEqual([gone.targetIqn, gone.targetPortal, gone.targetLun, gone.chapSecret], [null, null, null, null]);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM volume_attachments WHERE volume_id = $1`, [v.id]);
    assert.equal(n, 0);

    await volumes.delete(v.id);
    assert.equal(await allocated(v.pool), before - 6);
    await volumes.delete(randomUUID());
  });

  it('get of an unknown volume is NotFound', async () => {
    await assert.rejects(
      volumes.get(randomUUID()),
      (err: unknown) => err instanceof DomainError && err.code === 'NotFound',
    );
  });
});
