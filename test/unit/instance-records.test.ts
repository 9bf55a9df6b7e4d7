import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstanceRecords } from '../../core/instances/instance-records.js';
import { insertInstance, useTestDatabase } from '../support/database.js';

let records: InstanceRecords;

const t = useTestDatabase(({ db }) => {
  records = new InstanceRecords(db);
});

interface ActionRow {
  step: string;
  host: string | null;
  outcome: string;
  message: string | null;
  started: boolean;
  finished: boolean;
}

async function actions(instanceId: string): Promise<ActionRow[]> {
  return t.db.query(
    `SELECT step, host, outcome, message, started_at IS NOT NULL AS started, finished_at IS NOT NULL AS finished
     FROM instance_actions WHERE instance_id = $1 ORDER BY started_at, step`,
    [instanceId],
  );
}

async function instance(
  id: string,
): Promise<{ status: string; task_state: string | null; host: string | null; launched: boolean; deleted: boolean }> {
  const [row] = await t.db.query(
    `SELECT status, task_state, host, launched_at IS NOT NULL AS launched, deleted_at IS NOT NULL AS deleted
     FROM instances WHERE id = $1`,
    [id],
  );
  return row;
}

/** Each action row's step, outcome and times, in order. */
async function timedRows(instanceId: string): Promise<Array<[string, string, string, string | null]>> {
  const rows: Array<{ step: string; outcome: string; started: Date; finished: Date | null }> = await t.db.query(
    `SELECT step, outcome, started_at AS started, finished_at AS finished FROM instance_actions
     WHERE instance_id = $1 ORDER BY started_at, step`,
    [instanceId],
  );
  return rows.map((r) => [r.step, r.outcome, r.started.toISOString(), r.finished?.toISOString() ?? null]);
}

describe('InstanceRecords', () => {
  it('records a step as running, then closes that row as succeeded', async () => {
    const { id } = await insertInstance(t.db);
    await records.recordStep({ instanceId: id, step: 'spawn', host: 'node-1', phase: 'start' });
    assert.deepEqual(await actions(id), [
      { step: 'spawn', host: 'node-1', outcome: 'running', message: null, started: true, finished: false },
    ]);
    await records.recordStep({ instanceId: id, step: 'spawn', host: 'node-1', phase: 'succeeded' });
    assert.deepEqual(await actions(id), [
      { step: 'spawn', host: 'node-1', outcome: 'succeeded', message: null, started: true, finished: true },
    ]);
  });

  it('a retried start adds no second running row', async () => {
    const { id } = await insertInstance(t.db);
    await records.recordStep({ instanceId: id, step: 'pull_image', host: 'node-2', phase: 'start' });
    await records.recordStep({ instanceId: id, step: 'pull_image', host: 'node-2', phase: 'start' });
    assert.equal((await actions(id)).length, 1);
  });

  it('records a failure with its message, and a compensation as an undo row', async () => {
    const { id } = await insertInstance(t.db);
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-1', phase: 'start' });
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-1', phase: 'succeeded' });
    await records.recordStep({ instanceId: id, step: 'spawn', host: 'node-1', phase: 'start' });
    await records.recordStep({ instanceId: id, step: 'spawn', host: 'node-1', phase: 'failed', message: 'disk full' });
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-1', phase: 'compensated' });
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-1', phase: 'compensated' });
    const rows = await actions(id);
    assert.deepEqual(
      rows.map((r) => [r.step, r.outcome, r.message, r.finished]),
      [
        ['claim', 'succeeded', null, true],
        ['spawn', 'failed', 'disk full', true],
        ['undo:claim', 'compensated', null, true],
      ],
    );
  });

  it('a step that fails on a second host gets a row of its own', async () => {
    const { id } = await insertInstance(t.db);
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-1', phase: 'start' });
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-1', phase: 'failed', message: 'refused' });
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-2', phase: 'start' });
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-2', phase: 'succeeded' });
    assert.deepEqual(
      (await actions(id)).map((r) => [r.host, r.outcome]),
      [
        ['node-1', 'failed'],
        ['node-2', 'succeeded'],
      ],
    );
  });

  it('a finish without a recorded start still leaves a finished row', async () => {
    const { id } = await insertInstance(t.db);
    await records.recordStep({
      instanceId: id,
      step: 'allocate_port',
      host: null,
      phase: 'failed',
      message: 'exhausted',
    });
    assert.deepEqual(await actions(id), [
      { step: 'allocate_port', host: null, outcome: 'failed', message: 'exhausted', started: true, finished: true },
    ]);
  });

  it('a record written after the fact keeps its own time: start, end and undo', async () => {
    const { id } = await insertInstance(t.db);
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-1', phase: 'start', at: at(1) });
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-1', phase: 'succeeded', at: at(3) });
    await records.recordStep({ instanceId: id, step: 'claim', host: 'node-1', phase: 'compensated', at: at(7) });
    assert.deepEqual(await timedRows(id), [
      ['claim', 'succeeded', at(1), at(3)],
      ['undo:claim', 'compensated', at(7), at(7)],
    ]);
  });

  it('a batch retried after it was written (a start and its end, with their times) adds no row', async () => {
    const { id } = await insertInstance(t.db);
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const batch = [
      { instanceId: id, step: 'add_dhcp_reservation', host: null, phase: 'start' as const, at: at(1) },
      { instanceId: id, step: 'add_dhcp_reservation', host: null, phase: 'succeeded' as const, at: at(2) },
      { instanceId: id, step: 'plug_vif', host: 'node-1', phase: 'start' as const, at: at(2) },
    ];
    for (let i = 0; i < 2; i++) for (const r of batch) await records.recordStep(r);
    assert.deepEqual(await timedRows(id), [
      ['add_dhcp_reservation', 'succeeded', at(1), at(2)],
      ['plug_vif', 'running', at(2), null],
    ]);
    // The same step again later (another attempt) is a row of its own.
    await records.recordStep({ ...batch[0], at: at(5) });
    assert.equal((await timedRows(id)).length, 3);
  });

  it('records scheduling attempts in order; a retried attempt overwrites its own number', async () => {
    const { id } = await insertInstance(t.db);
    await records.recordAttempt(id, 2, { host: 'node-2', outcome: 'claimed', reason: null });
    await records.recordAttempt(id, 1, { host: 'node-1', outcome: 'timeout', reason: 'no pickup in 10 s' });
    await records.recordAttempt(id, 1, { host: 'node-1', outcome: 'refused', reason: 'lacks RAM' });
    assert.deepEqual(
      (await records.attempts(id)).map((a) => [a.attemptNo, a.host, a.outcome, a.reason]),
      [
        [1, 'node-1', 'refused', 'lacks RAM'],
        [2, 'node-2', 'claimed', null],
      ],
    );
  });

  it('a step that starts with a task state moves the instance to it; a deleted instance stays as it was', async () => {
    const { id } = await insertInstance(t.db, { taskState: 'scheduling', host: 'node-1' });
    await records.recordStep({
      instanceId: id,
      step: 'pull_image',
      host: 'node-1',
      phase: 'start',
      taskState: 'pulling_image',
    });
    assert.equal((await instance(id)).task_state, 'pulling_image');
    await records.recordStep({ instanceId: id, step: 'pull_image', host: 'node-1', phase: 'succeeded' });
    assert.equal((await instance(id)).task_state, 'pulling_image', 'a step without a task state leaves it alone');
    assert.deepEqual(
      (await actions(id)).map((r) => [r.step, r.outcome]),
      [['pull_image', 'succeeded']],
    );
    await records.markDeleted(id);
    await records.recordStep({ instanceId: id, step: 'spawn', host: 'node-1', phase: 'start', taskState: 'spawning' });
    assert.deepEqual([(await instance(id)).status, (await instance(id)).task_state], ['DELETED', null]);
  });

  it('moves through task states and hosts, then ACTIVE with a launch time', async () => {
    const { id } = await insertInstance(t.db);
    await records.setTaskState(id, { taskState: 'spawning', host: 'node-3' });
    assert.deepEqual(await instance(id), {
      status: 'BUILD',
      task_state: 'spawning',
      host: 'node-3',
      launched: false,
      deleted: false,
    });
    await records.setTaskState(id, { taskState: 'networking' });
    assert.equal((await instance(id)).host, 'node-3', 'host kept when not given');
    await records.setHost(id, null);
    assert.equal((await instance(id)).host, null);
    await records.markActive(id, 'node-3');
    assert.deepEqual(await instance(id), {
      status: 'ACTIVE',
      task_state: null,
      host: 'node-3',
      launched: true,
      deleted: false,
    });
  });

  it('a fault sets ERROR, clears the task state, and a newer fault replaces it', async () => {
    const { id } = await insertInstance(t.db, { taskState: 'spawning', host: 'node-1' });
    await records.recordFault(id, { code: 'HostStepFailed', message: 'spawn failed', step: 'spawn', host: 'node-1' });
    await records.recordFault(id, { code: 'NoValidHost', message: 'no host has room', step: 'claim', host: null });
    const f = await records.fault(id);
    assert.deepEqual([f?.code, f?.message, f?.step, f?.host], ['NoValidHost', 'no host has room', 'claim', null]);
    const row = await instance(id);
    assert.equal(row.status, 'ERROR');
    assert.equal(row.task_state, null);
  });

  it('a DELETED instance stays DELETED whatever a late activity writes', async () => {
    const { id } = await insertInstance(t.db, { taskState: 'networking', host: 'node-2' });
    await records.markDeleted(id);
    await records.markActive(id, 'node-1');
    await records.setTaskState(id, { status: 'BUILD', taskState: 'spawning', host: 'node-3' });
    await records.setHost(id, 'node-3');
    await records.recordFault(id, { code: 'BuildCancelled', message: 'cancelled', step: 'plug_vif', host: 'node-2' });
    assert.deepEqual(await instance(id), {
      status: 'DELETED',
      task_state: null,
      host: 'node-2',
      launched: false,
      deleted: true,
    });
  });

  it('markDeleted keeps the first deletion time', async () => {
    const { id } = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host: 'node-1' });
    await records.markDeleted(id);
    const [{ deleted_at: first }] = await t.db.query(`SELECT deleted_at FROM instances WHERE id = $1`, [id]);
    await records.markDeleted(id);
    const [{ deleted_at: second }] = await t.db.query(`SELECT deleted_at FROM instances WHERE id = $1`, [id]);
    assert.equal(new Date(second).getTime(), new Date(first).getTime());
  });
});
