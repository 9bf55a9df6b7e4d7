import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UploadRecords } from '../../core/images/upload-records.js';
import { useTestDatabase } from '../support/database.js';

const t = useTestDatabase();

async function image(status: string, secondsSinceUpdate = 0): Promise<string> {
  const [{ id }] = await t.db.query(
    `INSERT INTO images (name, status, updated_at) VALUES ('img-' || gen_random_uuid(), $1,
       now() - make_interval(secs => $2)) RETURNING id`,
    [status, secondsSinceUpdate],
  );
  return id as string;
}

const statusOf = async (id: string) => (await t.db.query(`SELECT status FROM images WHERE id = $1`, [id]))[0].status;

describe('UploadRecords', () => {
  it('puts uploads a crash left saving back to queued, and leaves live ones alone', async () => {
    const uploads = new UploadRecords(t.db);
    const crashed = await image('saving', 600);
    const live = await image('saving', 5);
    const active = await image('active', 600);
    assert.equal(await uploads.requeueStale(120), 1);
    assert.deepEqual(
      [await statusOf(crashed), await statusOf(live), await statusOf(active)],
      ['queued', 'saving', 'active'],
    );
  });

  it('never brings back a deleted image: finish and release need it saving', async () => {
    const uploads = new UploadRecords(t.db);
    const id = await image('queued');
    assert.equal(await uploads.claim(id), true);
    assert.equal(await uploads.claim(id), false, 'one uploader at a time');
    await t.db.query(`UPDATE images SET status = 'deleted' WHERE id = $1`, [id]);
    assert.equal(await uploads.finish(id, { sha256: 'a'.repeat(64), sizeBytes: 1 }), false);
    await uploads.release(id);
    assert.equal(await statusOf(id), 'deleted');
  });
});
