/**
 * Finding 13 (a claim that outlives its timeout can commit after its undo) and the suspect
 * hosts of finding 16, against a real PostgreSQL: recorded claims carry their scheduling
 * attempt, a release fences it, and a host whose step went unanswered is skipped until it
 * heartbeats. The host's own ledger is fenced the same way (host-ledger.test.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSchedulerActivities } from '../../activities/scheduler.js';
import { ClaimService } from '../../core/scheduling/claims.js';
import { HostRegistry } from '../../core/scheduling/host-registry.js';
import { HostSelector } from '../../core/scheduling/host-selector.js';
import { useTestDatabase } from '../support/database.js';
import { domainError } from '../support/domain-error.js';

let claims: ClaimService;
let hosts: HostRegistry;
const t = useTestDatabase(({ db }) => {
  claims = new ClaimService(db);
  hosts = new HostRegistry(db, 30);
});

const FLAVOR = { id: 'f', name: 'm1.small', vcpus: 1, ramMb: 2048, diskGb: 20 };

async function freshHost(): Promise<string> {
  const name = `fence-${randomUUID().slice(0, 8)}`;
  await hosts.register({ name, vcpus: 8, ramMb: 16384, diskGb: 160 });
  return name;
}

async function ramUsed(host: string): Promise<number> {
  return (await hosts.get(host))!.ramMbUsed;
}

const lateClaim = domainError('HostRefused', /refused a late claim: attempt 1 of this build was already released/);

describe('claim fencing', () => {
  it('a late claim may not take over the claim of a later attempt on another host', async () => {
    const [first, second] = [await freshHost(), await freshHost()];
    const instanceId = randomUUID();
    await claims.release(instanceId, 1);
    await claims.claim(instanceId, second, FLAVOR, 2);
    await assert.rejects(claims.claim(instanceId, first, FLAVOR, 1), lateClaim);
    assert.equal((await claims.claimOf(instanceId))?.host, second);
    assert.deepEqual([await ramUsed(first), await ramUsed(second)], [0, 2048]);
  });

  it('a late release of attempt 1 leaves attempt 2 its claim', async () => {
    const host = await freshHost();
    const instanceId = randomUUID();
    await claims.claim(instanceId, host, FLAVOR, 2);
    await claims.release(instanceId, 1);
    assert.equal((await claims.claimOf(instanceId))?.attemptNo, 2);
    assert.equal(await ramUsed(host), 2048);
    await claims.release(instanceId, 2);
    assert.equal(await ramUsed(host), 0);
  });

  it('a release that names no attempt (a delete) releases any claim and fences every attempt', async () => {
    const host = await freshHost();
    const instanceId = randomUUID();
    await claims.claim(instanceId, host, FLAVOR, 3);
    await claims.release(instanceId);
    assert.equal(await ramUsed(host), 0);
    await assert.rejects(claims.claim(instanceId, host, FLAVOR, 3), domainError('HostRefused', /late claim/));
    assert.equal(await ramUsed(host), 0);
  });

  it('claims of attempts after the fence, and of old histories (no attempt), still work', async () => {
    const host = await freshHost();
    const instanceId = randomUUID();
    await claims.release(instanceId, 1);
    await claims.claim(instanceId, host, FLAVOR, 2);
    await claims.claim(instanceId, host, FLAVOR, 2); // a retry: a no-op
    assert.equal(await ramUsed(host), 2048);
    const legacy = randomUUID();
    await claims.claim(legacy, host, FLAVOR);
    await claims.release(legacy, 1);
    assert.equal(await ramUsed(host), 2048, 'a claim without attempt is released by any attempt');
    await claims.release(instanceId, 2);
  });
});

describe('suspect hosts', () => {
  it('a release naming an unresponsive host marks it suspect: skipped until its agent heartbeats', async () => {
    const prefix = `susp-${randomUUID().slice(0, 6)}`;
    const [a, b] = [`${prefix}-a`, `${prefix}-b`];
    await t.db.query(`UPDATE hosts SET last_heartbeat_at = NULL`);
    for (const name of [a, b]) await hosts.register({ name, vcpus: 8, ramMb: 16384, diskGb: 160 });
    const selector = new HostSelector(t.db, 30);
    assert.equal(await selector.select(FLAVOR), a, 'ties go by name');

    const scheduler = createSchedulerActivities({ claims, selector, hosts });
    await new MockActivityEnvironment().run(scheduler.releaseClaim.bind(scheduler), {
      instanceId: randomUUID(),
      attemptNo: 1,
      suspectHost: a,
    });
    const marked = await hosts.get(a);
    assert.ok(marked?.suspectSince, 'suspect since the release');
    assert.equal(marked.status, 'up', 'still alive as far as heartbeats go: suspect is its own mark');
    assert.equal(await selector.select(FLAVOR), b);
    await assert.rejects(selector.select(FLAVOR, [b]), domainError('NoValidHost', /1 suspect/));

    await hosts.recordHeartbeats([{ host: a, sentAt: Date.now() }]);
    assert.equal((await hosts.get(a))?.suspectSince, null);
    assert.equal(await selector.select(FLAVOR), a);
  });
});
