import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { startCleanupRepair } from '../../apps/controller/cleanup-repair.js';
import { FaultCodes } from '../../contracts/errors.js';
import { createLogger } from '../../core/logger.js';
import { InstanceRecords } from '../../core/instances/instance-records.js';
import { unfinishedCleanups } from '../../core/instances/cleanup-repair.js';
import { insertInstance, useTestDatabase } from '../support/database.js';

/**
 * The cleanup repair's half outside Temporal: which instances it picks (ERROR with a
 * CleanupIncomplete fault, and only those), and that a pass starts one DeleteInstance per
 * instance under the repair's own workflow id, skipping one that is still running.
 */

const t = useTestDatabase(({ db }) => ({ records: new InstanceRecords(db) }));

const fault = (code: string, host: string | null = 'node-2') => ({ code, message: 'm', step: null, host });

describe('cleanup repair', () => {
  it('picks the instances left ERROR CleanupIncomplete, with their host or the fault’s', async () => {
    const left = await insertInstance(t.db, { status: 'BUILD', host: 'node-1' });
    await t.records.recordFault(left.id, fault(FaultCodes.CleanupIncomplete));
    const hostless = await insertInstance(t.db, { status: 'BUILD', host: null });
    await t.records.recordFault(hostless.id, fault(FaultCodes.CleanupIncomplete, 'node-3'));
    const failed = await insertInstance(t.db, { status: 'BUILD' });
    await t.records.recordFault(failed.id, fault(FaultCodes.NoValidHost));
    const repaired = await insertInstance(t.db, { status: 'BUILD' });
    await t.records.recordFault(repaired.id, fault(FaultCodes.CleanupIncomplete));
    await t.records.markDeleted(repaired.id);

    const picked = await unfinishedCleanups(t.db);
    const byId = new Map(picked.map((p) => [p.instanceId, p]));
    assert.deepEqual(byId.get(left.id), { instanceId: left.id, projectId: left.projectId, host: 'node-1' });
    assert.equal(byId.get(hostless.id)?.host, 'node-3');
    assert.ok(!byId.has(failed.id), 'an ordinary ERROR is not the repair’s');
    assert.ok(!byId.has(repaired.id), 'a repaired (DELETED) instance is left alone');
  });

  it('starts DeleteInstance as repair-instance-ID for each, and skips one already running', async () => {
    const a = await insertInstance(t.db, { status: 'BUILD', host: 'node-1' });
    const b = await insertInstance(t.db, { status: 'BUILD', host: 'node-2' });
    for (const i of [a, b]) await t.records.recordFault(i.id, fault(FaultCodes.CleanupIncomplete));
    const started: Array<{ type: string; workflowId: string; args: unknown[] }> = [];
    const client = {
      workflow: {
        start(type: string, opts: { workflowId: string; args: unknown[] }): Promise<void> {
          if (opts.workflowId === `repair-instance-${b.id}`) {
            return Promise.reject(new WorkflowExecutionAlreadyStartedError('running', opts.workflowId, type));
          }
          started.push({ type, workflowId: opts.workflowId, args: opts.args });
          return Promise.resolve();
        },
      },
    } as unknown as Client;
    const stop = startCleanupRepair({
      db: t.db,
      client,
      log: createLogger('test', 'silent'),
      intervalSec: 3600,
      hostTimeouts: { hostPickupTimeoutSec: 5 },
    });
    try {
      await sleep(500); // the pass at start
    } finally {
      stop();
    }
    const mine = started.filter((s) => s.workflowId === `repair-instance-${a.id}`);
    assert.deepEqual(mine, [
      {
        type: 'DeleteInstance',
        workflowId: `repair-instance-${a.id}`,
        args: [{ instanceId: a.id, host: 'node-1', hostPickupTimeoutSec: 5 }],
      },
    ]);
    assert.ok(!started.some((s) => s.workflowId.includes(b.id)));
  });
});
