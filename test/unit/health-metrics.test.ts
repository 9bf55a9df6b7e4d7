import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildMetrics } from '../../apps/api/health/build-metrics.js';
import { bearerMatches } from '../../apps/api/health/health.controller.js';
import { check } from '../../apps/api/health/health.service.js';
import { createDataSource } from '../../core/db/data-source.js';
import { InstanceRecords } from '../../core/instances/instance-records.js';
import { insertInstance, useTestDatabase } from '../support/database.js';

const t = useTestDatabase();

describe('/metrics', () => {
  it('counts steps as they end, and a scrape never reads the action log', async () => {
    const records = new InstanceRecords(t.db);
    const { id: instanceId } = await insertInstance(t.db);
    const host = 'node-1';
    await records.recordStep({ instanceId, step: 'spawn', host, phase: 'start' });
    await records.recordStep({ instanceId, step: 'spawn', host, phase: 'succeeded' });
    await records.recordStep({ instanceId, step: 'plug_vif', host, phase: 'start' });
    await records.recordStep({ instanceId, step: 'plug_vif', host, phase: 'failed', message: 'boom' });
    await records.recordStep({ instanceId, step: 'deallocatePort', host: null, phase: 'compensated' });
    await records.recordStep({ instanceId, step: 'attach_volume', host, phase: 'start' }); // still running

    // A role that may not read instance_actions: before the counters, every scrape aggregated it.
    await t.db.query(`DROP ROLE IF EXISTS metrics_reader`);
    await t.db.query(`CREATE ROLE metrics_reader LOGIN PASSWORD 'reader'`);
    await t.db.query(`GRANT SELECT ON instances, instance_faults, step_stats TO metrics_reader`);
    const reader = await createDataSource(t.url.replace('nimbus:nimbus@', 'metrics_reader:reader@'), {
      poolSize: 2,
    }).initialize();
    try {
      const text = await buildMetrics(reader);
      assert.match(text, /^nimbus_step_duration_seconds_count\{step="spawn",outcome="succeeded"\} 1$/m);
      assert.match(text, /^nimbus_step_duration_seconds_bucket\{step="spawn",outcome="succeeded",le="\+Inf"\} 1$/m);
      assert.match(text, /^nimbus_step_duration_seconds_count\{step="plug_vif",outcome="failed"\} 1$/m);
      assert.match(text, /^nimbus_compensations_total\{undo="deallocatePort"\} 1$/m);
      assert.doesNotMatch(text, /attach_volume/);
    } finally {
      await reader.destroy();
    }
  });

  it('asks for the metrics token only when one is configured, compared in constant time', () => {
    assert.equal(bearerMatches(undefined, undefined), true);
    assert.equal(bearerMatches('s3cret', 'Bearer s3cret'), true);
    assert.equal(bearerMatches('s3cret', 'bearer   s3cret'), true);
    assert.equal(bearerMatches('s3cret', undefined), false);
    assert.equal(bearerMatches('s3cret', 'Bearer s3cre'), false);
    assert.equal(bearerMatches('s3cret', 'Basic s3cret'), false);
  });
});

describe('/healthz checks', () => {
  it('say down within the timeout when a dependency hangs, and keep the reason for the log', async () => {
    const reasons: string[] = [];
    const started = Date.now();
    const state = await check(
      () => sleep(60_000, undefined, { ref: false }),
      200,
      (err) => reasons.push((err as Error).message),
    );
    assert.equal(state, 'down');
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(reasons, ['no answer within 200 ms']);
    const failing = await check(
      () => Promise.reject(new Error('password authentication failed')),
      200,
      () => {},
    );
    assert.equal(failing, 'down');
    assert.equal(
      await check(
        () => Promise.resolve(1),
        200,
        () => {},
      ),
      'ok',
    );
  });
});
