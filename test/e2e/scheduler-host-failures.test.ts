/**
 * The scheduler when a compute host lets a build down, end to end on the real stack (three
 * seeded hosts): a host that refuses the claim or fails a step, and a host whose agent is
 * stopped. One stack for all: each case starts from empty hosts and leaves them empty, and
 * faults are cleared after the case that armed them. Capacity: scheduler-capacity.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { PICKUP_SEC, useSchedulerStack, type HostRow } from '../support/scheduler-stack.js';

describe('scheduler and failing compute hosts', () => {
  const { stack, hosts, build, settled, assertEmpty } = useSchedulerStack();

  it('a host that refuses the claim: the build is ACTIVE on another host with both attempts recorded', async () => {
    await assertEmpty();
    // Every host is empty, so spread picks the first by name: node-1.
    const armed = await stack.api('PUT', '/v1/admin/hosts/node-1/faults', { step: 'claim', mode: 'error', times: 1 });
    assert.equal(armed.status, 200, JSON.stringify(armed.body));
    // The host's agent answers with what it now holds.
    assert.deepEqual(
      armed.body.map((f: any) => [f.step, f.mode, f.times]),
      [['claim', 'error', 1]],
    );
    const r = await settled(await build('refused-once', 'm1.small'));
    assert.equal(r.status, 'ACTIVE', JSON.stringify(r.fault));
    assert.notEqual(r.host, 'node-1');
    assert.equal(r.attempts.length, 2, JSON.stringify(r.attempts));
    assert.deepEqual(r.attempts[0], {
      host: 'node-1',
      outcome: 'refused',
      reason: 'host node-1 refused the claim (injected fault)',
    });
    assert.deepEqual(r.attempts[1], { host: r.host, outcome: 'claimed', reason: null });
    const left = await stack.api('GET', '/v1/admin/hosts/node-1/faults');
    assert.deepEqual(
      left.body.map((f: any) => [f.step, f.times]),
      [['claim', 0]],
      'the fault fired once',
    );
    const byName = Object.fromEntries((await hosts()).map((h) => [h.name, h]));
    assert.deepEqual(
      [byName['node-1'].ramMbUsed, byName[r.host].ramMbUsed],
      [0, 2048],
      'only the host that took it holds the claim',
    );
  });

  it('a spawn failure on a host releases that host and reschedules within the three attempts', async () => {
    await assertEmpty();
    await stack.api('PUT', '/v1/admin/hosts/node-1/faults', { step: 'spawn', mode: 'error', times: 1 });
    const r = await settled(await build('spawn-fails-once', 'm1.small'));
    assert.equal(r.status, 'ACTIVE', JSON.stringify(r.fault));
    assert.notEqual(r.host, 'node-1');
    assert.equal(r.attempts.length, 2, JSON.stringify(r.attempts));
    assert.deepEqual([r.attempts[0].host, r.attempts[0].outcome], ['node-1', 'failed']);
    assert.match(r.attempts[0].reason, /injected error fault at spawn/);
    const node1 = (await hosts()).find((h) => h.name === 'node-1')!;
    assert.deepEqual([node1.ramMbUsed, node1.instances], [0, 0], 'the failed host got its resources back');
  });

  // Last: it leaves node-1 stopped.
  it('a stopped agent: builds that picked its host move on after the pickup timeout, the host is reported down, and its faults answer 503', async () => {
    await assertEmpty();
    await stack.supervisor.stopChild('node-1');
    // Its heartbeats have just stopped: it still looks up, and as the emptiest first host spread picks it.
    assert.equal((await hosts()).find((h) => h.name === 'node-1')!.status, 'up');
    const started = Date.now();
    // Its faults are held by its agent: asked now, the API says the host did not answer, in seconds.
    const fault = { step: 'spawn', mode: 'error', times: 1 };
    const unanswered = stack.api('PUT', '/v1/admin/hosts/node-1/faults', fault).then((res) => ({
      res,
      ms: Date.now() - started,
    }));
    const results = await Promise.all(
      [build('dead-host-a', 'm1.tiny'), build('dead-host-b', 'm1.tiny')].map(async (id) => settled(await id)),
    );
    for (const r of results) {
      assert.equal(r.status, 'ACTIVE', JSON.stringify(r.fault));
      assert.notEqual(r.host, 'node-1');
      assert.equal(r.attempts.length, 2, JSON.stringify(r.attempts));
      assert.deepEqual([r.attempts[0].host, r.attempts[0].outcome], ['node-1', 'timeout']);
      assert.match(r.attempts[0].reason, /SCHEDULE_TO_START/);
      assert.deepEqual(r.attempts[1], { host: r.host, outcome: 'claimed', reason: null });
    }
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= PICKUP_SEC * 1000, `the builds waited out the pickup timeout (${tookMs} ms)`);
    const { res, ms } = await unanswered;
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    assert.match(res.body.detail, /faults of host node-1 were not changed: .*SCHEDULE_TO_START/);
    assert.ok(ms < 15_000, `answered in ${ms} ms`);
    // NIMBUS_HOST_PICKUP_TIMEOUT reached the build, not the 10 s default: the claim sent to the
    // dead host's queue carries it, as the Temporal UI shows (wall-clock time is at the mercy of load).
    const temporal = new Client({
      connection: await Connection.connect({ address: stack.temporalAddress }),
      namespace: stack.temporalNamespace,
    });
    try {
      const { events } = await temporal.workflow.getHandle(`instance-${results[0].id}`).fetchHistory();
      const toDeadHost = (events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes)
        .filter((a) => a?.taskQueue?.name === 'compute.node-1');
      assert.equal(toDeadHost.length, 1, 'one step (the claim) was sent to node-1');
      assert.equal(Number(toDeadHost[0]!.scheduleToStartTimeout?.seconds), PICKUP_SEC);
    } finally {
      await temporal.connection.close();
    }

    await stack.waitFor(
      async () => (await hosts()).find((h) => h.name === 'node-1')!.status === 'down',
      20_000,
      'node-1 reported down',
    );
    assert.deepEqual(
      (await stack.api('GET', '/v1/hosts?status=down')).body.map((h: HostRow) => h.name),
      ['node-1'],
    );
    assert.equal((await stack.api('GET', '/v1/hosts?status=sideways')).status, 400);
    // Once down, the scheduler no longer offers it: the next build goes straight elsewhere.
    const next = await settled(await build('after-down', 'm1.tiny'));
    assert.equal(next.status, 'ACTIVE', JSON.stringify(next.fault));
    assert.equal(next.attempts.length, 1, JSON.stringify(next.attempts));
    assert.notEqual(next.host, 'node-1');

    // Now that it is known to be down, its faults answer 503 at once: there is no agent to ask.
    const down = await stack.api('GET', '/v1/admin/hosts/node-1/faults');
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.match(down.body.detail, /faults of host node-1 could not be read: the host is down/);
  });
});
