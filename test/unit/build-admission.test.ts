/**
 * A build's admission and durable start (core/instances/build-admission.ts, apps/api's
 * BuildStarter) on a real PostgreSQL, with Temporal replaced by a recorder: the quota holds
 * under a burst of concurrent admissions, a build admitted but never started (the API died
 * between insert and start) is started by the reaper, a DELETE before the start wins, and a
 * DELETE during the start cancels the workflow once it exists.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { DataSource } from 'typeorm';
import { BuildStarter } from '../../apps/api/instances/build-starter.js';
import type { InstanceWorkflows } from '../../apps/api/instances/instance-workflows.js';
import { FaultCodes } from '../../contracts/errors.js';
import { DomainError } from '../../core/errors.js';
import { BuildAdmission, type StoredBuildStart } from '../../core/instances/build-admission.js';
import { InstanceRecords } from '../../core/instances/instance-records.js';
import { quotaUsage } from '../../core/projects/quotas.js';
import { useTestDatabase } from '../support/database.js';

/** Temporal as the starter sees it: starts and cancels recorded, a start that fails on demand. */
class RecordingWorkflows {
  started: string[] = [];
  cancelled: string[] = [];
  failStarts = false;
  /** Runs during a start, after the server accepted it: the window a DELETE can fall into. */
  duringStart?: (workflowId: string) => Promise<void>;

  async startStoredBuild(start: StoredBuildStart): Promise<void> {
    if (this.failStarts) throw new Error('14 UNAVAILABLE: the workflow service is down');
    this.started.push(start.workflowId);
    await this.duringStart?.(start.workflowId);
  }

  cancelBuild(instanceId: string): Promise<boolean> {
    this.cancelled.push(instanceId);
    return Promise.resolve(true);
  }
}

const t = useTestDatabase(async ({ db }) => {
  const [flavor] = await db.query(`SELECT id, vcpus, ram_mb FROM flavors WHERE name = 'm1.tiny'`);
  const [image] = await db.query(
    `INSERT INTO images (name, status, size_bytes, sha256) VALUES ('admission-img', 'active', 3, $1) RETURNING id`,
    ['a'.repeat(64)],
  );
  const [network] = await db.query(`SELECT id FROM networks WHERE name = 'default'`);
  return { flavorId: flavor.id as string, imageId: image.id as string, networkId: network.id as string };
});

const log = pino({ level: 'silent' });

function setup() {
  const admission = new BuildAdmission(t.db);
  const workflows = new RecordingWorkflows();
  const starter = new BuildStarter(
    admission,
    workflows as unknown as InstanceWorkflows,
    new InstanceRecords(t.db),
    log,
  );
  return { admission, workflows, starter };
}

async function project(db: DataSource, quotaInstances: number | null): Promise<string> {
  const [{ id }] = await db.query(`INSERT INTO projects (name, quota_instances) VALUES ($1, $2) RETURNING id`, [
    `p-${randomUUID().slice(0, 8)}`,
    quotaInstances,
  ]);
  return id;
}

async function admit(admission: BuildAdmission, projectId: string) {
  const id = randomUUID();
  const workflowId = `instance-${id}`;
  const start: StoredBuildStart = { workflowId, input: { instanceId: id }, staticSummary: 's', staticDetails: 'd' };
  await admission.admit(
    {
      id,
      name: `vm-${id.slice(0, 8)}`,
      projectId,
      flavorId: t.flavorId,
      imageId: t.imageId,
      networkId: t.networkId,
      volumeSizeGb: null,
      workflowId,
      idempotencyKey: null,
      requestSha256: 'x',
    },
    { instances: 1, vcpus: 1, ramMb: 512, volumeGb: 0 },
    start,
  );
  return { id, workflowId, start };
}

const outboxRows = async (id: string) =>
  (await t.db.query(`SELECT count(*)::int AS n FROM build_starts WHERE instance_id = $1`, [id]))[0].n;
const statusOf = async (id: string) => (await t.db.query(`SELECT status FROM instances WHERE id = $1`, [id]))[0].status;

describe('build admission', () => {
  it('admits exactly K of 30 concurrent builds against a quota of K', async () => {
    const { admission } = setup();
    const projectId = await project(t.db, 4);
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => admit(admission, projectId)));
    const admitted = outcomes.filter((o) => o.status === 'fulfilled');
    assert.equal(admitted.length, 4);
    for (const o of outcomes) {
      if (o.status === 'fulfilled') continue;
      assert.ok(o.reason instanceof DomainError, String(o.reason));
      assert.equal(o.reason.code, FaultCodes.QuotaExceeded);
      assert.match(o.reason.message, /quota exceeded: 4 of 4 instances in use, 1 more asked/);
    }
    assert.deepEqual(await quotaUsage(t.db, projectId), { instances: 4, vcpus: 4, ramMb: 2048, volumeGb: 0 });
    // Each admitted build has its outbox row, born claimed by its request.
    const [{ n }] = await t.db.query(
      `SELECT count(*)::int AS n FROM build_starts b JOIN instances i ON i.id = b.instance_id
       WHERE i.project_id = $1 AND b.claimed_at IS NOT NULL`,
      [projectId],
    );
    assert.equal(n, 4);
    // Their requests would start them now; here they are simply done with.
    for (const o of admitted) await admission.finish((o as PromiseFulfilledResult<{ id: string }>).value.id);
  });

  it('starts a build whose API died between the insert and the start (the reaper takes the stale claim)', async () => {
    const { admission, workflows, starter } = setup();
    const built = await admit(admission, await project(t.db, null));
    // The request's process is gone: its claim is never used. A fresh claim is not taken over...
    assert.equal(await starter.reap(), 0);
    assert.deepEqual(workflows.started, []);
    // ...a stale one is: started once, and the row is gone, so the next pass does nothing.
    assert.equal(await starter.reap(0), 1);
    assert.deepEqual(workflows.started, [built.workflowId]);
    assert.equal(await outboxRows(built.id), 0);
    assert.equal(await starter.reap(0), 0);
  });

  it('keeps a build whose start failed, and starts it on the next pass', async () => {
    const { admission, workflows, starter } = setup();
    const built = await admit(admission, await project(t.db, null));
    workflows.failStarts = true;
    assert.equal(await starter.start(built.id, built.start), false);
    assert.equal(await statusOf(built.id), 'BUILD', 'not ERROR: the start is still owed');
    assert.equal(await starter.reap(), 0, 'still down');
    workflows.failStarts = false;
    assert.equal(await starter.reap(), 1, 'a released claim needs no waiting');
    assert.deepEqual(workflows.started, [built.workflowId]);
  });

  it('lets a DELETE before the start win: DELETED, quota free, and no build ever starts', async () => {
    const { admission, workflows, starter } = setup();
    const projectId = await project(t.db, 1);
    const built = await admit(admission, projectId);
    workflows.failStarts = true;
    await starter.start(built.id, built.start); // failed: the row waits, unclaimed
    assert.equal(await admission.withdraw(built.id), 'withdrawn');
    assert.equal(await statusOf(built.id), 'DELETED');
    assert.equal((await quotaUsage(t.db, projectId)).instances, 0);
    workflows.failStarts = false;
    assert.equal(await starter.reap(0), 0);
    assert.deepEqual(workflows.started, []);
    await admit(admission, projectId); // the quota it held is back
  });

  it('cancels the workflow when a DELETE comes while its start is in flight', async () => {
    const { admission, workflows, starter } = setup();
    const built = await admit(admission, await project(t.db, null));
    workflows.duringStart = async () => {
      assert.equal(await admission.withdraw(built.id), 'cancel-requested');
    };
    assert.equal(await starter.start(built.id, built.start), true);
    assert.deepEqual(workflows.cancelled, [built.id]);
    assert.equal(await outboxRows(built.id), 0);
    // Once started and finished, a DELETE goes the usual way (the workflow's cancellation).
    assert.equal(await admission.withdraw(built.id), 'started');
  });
});
