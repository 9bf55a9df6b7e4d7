/**
 * A frozen compute host (issue 16, findings 16 and 13), end to end on the real stack: node-2's
 * agent is stopped with SIGSTOP, so its connection to Temporal stays open and its outstanding
 * poll takes the claim, which then never answers. The build must move on within 15 s of a
 * healthy build's time (the claim's first heartbeat is missed), the host must be suspect and
 * skipped by the next build, and once the agent runs again (SIGCONT) its late claim must
 * commit nothing in the control plane and its heartbeat must clear the suspicion.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { waitAgentServing } from '../support/fault-cases.js';
import { HOSTS, useSchedulerStack } from '../support/scheduler-stack.js';

const FROZEN = 'node-2';
/** The most a frozen host may add to a build (the target). */
const MAX_DELAY_MS = 15_000;

describe('a frozen compute host', () => {
  // Liveness would call the frozen host down only after a minute: here, only the suspect mark keeps builds off it.
  const { stack, hosts, build, settled, assertEmpty } = useSchedulerStack({ NIMBUS_SERVICE_DOWN_TIME: '60' });

  it('costs a build < 15 s, is skipped while suspect, and its late claim commits nothing', async (t) => {
    await assertEmpty();
    const temporal = await Connection.connect({ address: stack.temporalAddress });
    try {
      for (const host of HOSTS) await waitAgentServing(stack, temporal, host);
    } finally {
      await temporal.close();
    }
    // A healthy build first, for the time a build takes here; spread puts it on node-1,
    // so the emptiest host (ties by name) is node-2 next.
    let started = Date.now();
    const healthy = await settled(await build('healthy', 'm1.small'));
    const healthyMs = Date.now() - started;
    assert.deepEqual([healthy.status, healthy.host], ['ACTIVE', 'node-1'], JSON.stringify(healthy.fault));

    const pid = stack.supervisor.pid(FROZEN);
    assert.ok(pid, `${FROZEN}'s agent runs`);
    process.kill(pid, 'SIGSTOP');
    try {
      started = Date.now();
      const frozen = await settled(await build('frozen', 'm1.small'));
      const frozenMs = Date.now() - started;
      t.diagnostic(`healthy build ${healthyMs} ms, with a frozen first host ${frozenMs} ms`);
      assert.equal(frozen.status, 'ACTIVE', JSON.stringify(frozen.fault));
      assert.equal(frozen.attempts.length, 2, JSON.stringify(frozen.attempts));
      assert.deepEqual([frozen.attempts[0].host, frozen.attempts[0].outcome], [FROZEN, 'timeout']);
      assert.match(frozen.attempts[0].reason, /HEARTBEAT/);
      assert.equal(frozen.host, 'node-3');
      assert.ok(frozenMs - healthyMs < MAX_DELAY_MS, `the frozen host delayed the build ${frozenMs - healthyMs} ms`);

      const suspect = (await hosts()).find((h) => h.name === FROZEN) as { status: string; suspectSince?: string };
      assert.equal(suspect.status, 'up', 'its heartbeats are not yet old enough to call it down');
      assert.ok(suspect.suspectSince, `${FROZEN} is suspect: ${JSON.stringify(suspect)}`);
      // The emptiest host is still the frozen one: only its suspicion keeps the next build off it.
      const next = await settled(await build('after-frozen', 'm1.small'));
      assert.equal(next.status, 'ACTIVE', JSON.stringify(next.fault));
      assert.deepEqual(next.attempts.length, 1, JSON.stringify(next.attempts));
      assert.notEqual(next.host, FROZEN);
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    // Running again, the agent finishes the claim it took while frozen. Its own ledger may grant
    // it (nobody released it there: the build did not wait for a host that did not answer), but
    // the control plane never records it, and the host's next sync drops it from the ledger.
    const lateClaim = await stack.waitFor(
      () => stack.logs(5000).find((l) => l.startsWith(`[${FROZEN}]`) && /claimResources (failed|completed)/.test(l)),
      15_000,
      `${FROZEN}'s late claim ended`,
    );
    t.diagnostic(`late claim: ${lateClaim}`);
    await stack.waitFor(
      async () => (await hosts()).find((h) => h.name === FROZEN && !(h as { suspectSince?: string }).suspectSince),
      10_000,
      `${FROZEN} no longer suspect once it heartbeats`,
    );
    const byName = Object.fromEntries((await hosts()).map((h) => [h.name, h]));
    assert.deepEqual(
      HOSTS.map((h) => [h, byName[h].ramMbUsed, byName[h].instances]),
      [
        ['node-1', 4096, 2],
        ['node-2', 0, 0],
        ['node-3', 2048, 1],
      ],
      'the late claim holds nothing, and the frozen build keeps its claim on node-3',
    );
  });
});
