/**
 * Crashes of the real processes during builds, by SIGKILL (a power cut): a compute agent
 * during spawn (restarted: the build finishes; not restarted in time: the build goes
 * elsewhere or fails cleanly, and the agent's reconciliation on return removes what it
 * left), the controller, and the Temporal dev server (restarted on the same data file).
 * No build is lost and nothing leaks.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeDir } from '../../core/config.js';
import {
  FAST_FAILURE_ENV,
  HOSTS,
  armFault,
  clearFaults,
  createInstance,
  deleteAndWait,
  enableOnly,
  faultTimesLeft,
  undone,
  waitAgentServing,
  waitPlaced,
  waitSettled,
} from '../support/fault-cases.js';
import { buildingInstances, readDomains, violations, waitUntilClean } from '../support/invariants.js';
import { useStack } from '../support/use-stack.js';

describe('crash recovery', () => {
  const { stack, db, connection: temporal } = useStack({ env: FAST_FAILURE_ENV, db: true, client: true });

  async function reset(): Promise<void> {
    await enableOnly(stack, HOSTS);
    for (const host of HOSTS) {
      await clearFaults(stack, host);
      await waitAgentServing(stack, temporal, host);
    }
  }

  /** After a reset, a build on `host` alone whose `step` hangs there; resolves once the step runs. */
  async function buildHangingAt(host: string, step: string, name: string): Promise<string> {
    await reset();
    await enableOnly(stack, [host]);
    await armFault(stack, host, step, 'hang', 1);
    const id = await createInstance(stack, name);
    assert.equal(await waitPlaced(stack, id), host);
    await stack.waitFor(async () => (await faultTimesLeft(stack, host, step)) === 0, 30_000, `${step} running`);
    return id;
  }

  async function assertClean(): Promise<void> {
    await waitUntilClean(stack, db);
    assert.deepEqual(await buildingInstances(db), []);
  }

  it('kill -9 of the agent during spawn, restarted: the build ends ACTIVE', async () => {
    const id = await buildHangingAt('node-1', 'spawn', 'crash-spawn');
    // Rescheduling is allowed too, should the agent come back too late for the retry.
    await enableOnly(stack, ['node-1', 'node-2']);
    await stack.supervisor.killChild('node-1');
    await sleep(500);
    stack.supervisor.startChild('node-1');
    const done = await waitSettled(stack, id, 60_000);
    assert.equal(done.status, 'ACTIVE', JSON.stringify(done));
    assert.ok(['node-1', 'node-2'].includes(done.host!), JSON.stringify(done));
    const domains = await readDomains(stack.dataDir);
    assert.ok(domains.get(done.host!)?.includes(id), 'the domain is on the host the instance reports');
    await assertClean();
    await deleteAndWait(stack, id);
    await assertClean();
  });

  it('kill -9 of the agent with a domain booted, not back in time: ERROR, and its return destroys the orphan', async () => {
    const id = await buildHangingAt('node-2', 'plug_vif', 'crash-plug');
    assert.ok((await readDomains(stack.dataDir)).get('node-2')?.includes(id), 'the domain was spawned');
    await stack.supervisor.killChild('node-2');
    // The agent stays down past the heartbeat and pickup timeouts: the build cannot go on.
    const failed = await waitSettled(stack, id, 60_000);
    assert.equal(failed.status, 'ERROR', JSON.stringify(failed));
    assert.equal(failed.fault?.step, 'plug_vif');
    assert.equal(failed.fault?.host, 'node-2');
    assert.equal(failed.fault?.code, 'HostStepFailed');
    // The control-plane undos ran; the host's could not, so its disk still has the domain.
    const undos = await undone(db, id);
    assert.ok(undos.includes('deallocatePort') && undos.includes('releaseClaim(node-2)'), undos.join(', '));
    assert.deepEqual(
      (await violations(stack, db)).map((v) => [v.kind, v.id]),
      [['domain', id]],
    );
    stack.supervisor.startChild('node-2');
    await assertClean();
  });

  it('an agent that comes back destroys orphan domains and reports ACTIVE instances whose domain is missing', async () => {
    await reset();
    await enableOnly(stack, ['node-3']);
    const id = await createInstance(stack, 'lost-domain');
    assert.equal((await waitSettled(stack, id)).status, 'ACTIVE');
    await stack.supervisor.stopChild('node-3');
    const domains = path.join(nodeDir(stack, 'node-3'), 'domains');
    // The host lost this domain while down, and has one nobody knows about.
    const lost = await readFile(path.join(domains, `${id}.json`), 'utf8');
    await rm(path.join(domains, `${id}.json`));
    const orphan = randomUUID();
    await writeFile(path.join(domains, `${orphan}.json`), lost.replaceAll(id, orphan));
    stack.supervisor.startChild('node-3');
    await waitAgentServing(stack, temporal, 'node-3');
    assert.ok(!(await readDomains(stack.dataDir)).get('node-3')?.includes(orphan), 'the orphan was destroyed');
    assert.ok(
      stack.supervisor.recentOutput('node-3', 100).some((l) => l.includes(id) && /no domain here/.test(l)),
      'the missing one is reported',
    );
    assert.deepEqual(
      (await violations(stack, db)).map((v) => [v.kind, v.id]),
      [['missing_domain', id]],
    );
    await deleteAndWait(stack, id);
    await assertClean();
  });

  it('kill -9 of the controller during builds: every build completes', async () => {
    await reset();
    await enableOnly(stack, ['node-1', 'node-2', 'node-3']);
    const ids = await Promise.all(['ctl-a', 'ctl-b', 'ctl-c'].map((n) => createInstance(stack, n, true)));
    await Promise.all(ids.map((id) => waitPlaced(stack, id)));
    await stack.supervisor.killChild('controller');
    await sleep(1000);
    stack.supervisor.startChild('controller');
    for (const id of ids) assert.equal((await waitSettled(stack, id, 90_000)).status, 'ACTIVE');
    await assertClean();
  });

  it('kill -9 of the Temporal dev server during builds, restarted on the same data file: every build completes', async () => {
    assert.ok(stack.temporal, 'the stack runs its own Temporal');
    await reset();
    // Each build is inside a step when the server dies: a spawn that hangs until retried.
    for (const host of HOSTS) await armFault(stack, host, 'spawn', 'hang', 1);
    // One build per host, each pinned there while it is placed.
    const ids: string[] = [];
    for (const host of HOSTS) {
      await enableOnly(stack, [host]);
      const id = await createInstance(stack, `tmp-${host}`);
      assert.equal(await waitPlaced(stack, id), host);
      ids.push(id);
    }
    await enableOnly(stack, HOSTS);
    await stack.waitFor(
      async () => (await Promise.all(HOSTS.map((h) => faultTimesLeft(stack, h, 'spawn')))).every((n) => n === 0),
      30_000,
      'three spawns hanging',
    );
    await stack.temporal.kill();
    await sleep(2000);
    await stack.temporal.start();
    for (const id of ids) {
      const done = await waitSettled(stack, id, 120_000);
      assert.equal(done.status, 'ACTIVE', JSON.stringify(done));
    }
    await assertClean();
  });
});
