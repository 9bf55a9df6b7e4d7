import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ClaimService } from '../../core/scheduling/claims.js';
import { HostRegistry } from '../../core/scheduling/host-registry.js';
import { useTestDatabase } from '../support/database.js';
import { domainError } from '../support/domain-error.js';

let claims: ClaimService;
let hosts: HostRegistry;

const t = useTestDatabase(({ db }) => {
  claims = new ClaimService(db);
  hosts = new HostRegistry(db, 30);
});

/** A host of this test's own: 8 vCPUs (×4), 16384 MB, 160 GB. */
async function freshHost(): Promise<string> {
  const name = `claim-${randomUUID().slice(0, 8)}`;
  await hosts.register({ name, vcpus: 8, ramMb: 16384, diskGb: 160 });
  return name;
}

async function usage(host: string): Promise<{ vcpus: number; ramMb: number; diskGb: number }> {
  const h = await hosts.get(host);
  assert.ok(h, `host ${host} exists`);
  return { vcpus: h.vcpusUsed, ramMb: h.ramMbUsed, diskGb: h.diskGbUsed };
}

async function claimSums(host: string): Promise<{ vcpus: number; ramMb: number; diskGb: number; count: number }> {
  const [r] = await t.db.query(
    `SELECT COALESCE(sum(vcpus), 0)::int AS vcpus, COALESCE(sum(ram_mb), 0)::int AS "ramMb",
            COALESCE(sum(disk_gb), 0)::int AS "diskGb", count(*)::int AS count
     FROM claims WHERE host = $1`,
    [host],
  );
  return r;
}

const hostRefused = (pattern: RegExp) => domainError('HostRefused', pattern);

const LARGE = { vcpus: 4, ramMb: 8192, diskGb: 80 };

describe('ClaimService', () => {
  it('holds the resources on the host and records the claim', async () => {
    const host = await freshHost();
    const instanceId = randomUUID();
    await claims.claim(instanceId, host, LARGE);
    assert.deepEqual(await usage(host), { vcpus: 4, ramMb: 8192, diskGb: 80 });
    const claim = await claims.claimOf(instanceId);
    assert.ok(claim);
    assert.deepEqual(
      { host: claim.host, vcpus: claim.vcpus, ramMb: claim.ramMb, diskGb: claim.diskGb },
      { host, ...LARGE },
    );
  });

  it('10 concurrent 8192 MB claims on a 16384 MB host: exactly 2 succeed, 8 are refused, usage = sum of claims', async () => {
    const host = await freshHost();
    const req = { vcpus: 1, ramMb: 8192, diskGb: 10 };
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => claims.claim(randomUUID(), host, req)));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
    assert.equal(refused.length, 8);
    for (const r of refused) hostRefused(new RegExp(`host ${host} lacks RAM`))(r.reason);
    const sums = await claimSums(host);
    assert.equal(sums.count, 2);
    assert.deepEqual(await usage(host), { vcpus: sums.vcpus, ramMb: sums.ramMb, diskGb: sums.diskGb });
    assert.equal(sums.ramMb, 16384);
  });

  it('is idempotent per instance: a repeated claim on the same host holds nothing twice', async () => {
    const host = await freshHost();
    const instanceId = randomUUID();
    await claims.claim(instanceId, host, LARGE);
    await claims.claim(instanceId, host, LARGE);
    assert.deepEqual(await usage(host), { vcpus: 4, ramMb: 8192, diskGb: 80 });
    assert.equal((await claimSums(host)).count, 1);
  });

  it('concurrent retries of one claim all succeed and hold the resources once, even when the host fits only one', async () => {
    const host = await freshHost();
    const instanceId = randomUUID();
    const whole = { vcpus: 8, ramMb: 16384, diskGb: 160 };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => claims.claim(instanceId, host, whole)));
    assert.deepEqual(
      results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')),
      Array(5).fill('ok'),
    );
    assert.deepEqual(await usage(host), { vcpus: 8, ramMb: 16384, diskGb: 160 });
    assert.equal((await claimSums(host)).count, 1);
  });

  it('moving a claim to another host releases the stale one first', async () => {
    const first = await freshHost();
    const second = await freshHost();
    const instanceId = randomUUID();
    await claims.claim(instanceId, first, LARGE);
    await claims.claim(instanceId, second, LARGE);
    assert.deepEqual(await usage(first), { vcpus: 0, ramMb: 0, diskGb: 0 });
    assert.deepEqual(await usage(second), { vcpus: 4, ramMb: 8192, diskGb: 80 });
    assert.equal((await claims.claimOf(instanceId))?.host, second);
  });

  it('release returns usage to zero, and releasing twice is harmless', async () => {
    const host = await freshHost();
    const a = randomUUID();
    const b = randomUUID();
    await claims.claim(a, host, LARGE);
    await claims.claim(b, host, { vcpus: 1, ramMb: 512, diskGb: 1 });
    await claims.release(a);
    await claims.release(a);
    assert.deepEqual(await usage(host), { vcpus: 1, ramMb: 512, diskGb: 1 });
    await claims.release(b);
    assert.deepEqual(await usage(host), { vcpus: 0, ramMb: 0, diskGb: 0 });
    assert.equal(await claims.claimOf(a), null);
    await claims.release(randomUUID());
  });

  it('refuses and says what is lacking: vCPU (under the allocation ratio), disk, RAM', async () => {
    const host = await freshHost();
    // 8 vCPUs × 4.0 = 32 schedulable; RAM and disk at ratio 1.0.
    await claims.claim(randomUUID(), host, { vcpus: 32, ramMb: 1, diskGb: 1 });
    await assert.rejects(
      claims.claim(randomUUID(), host, { vcpus: 1, ramMb: 1, diskGb: 1 }),
      hostRefused(/lacks vCPU \(0 free, 1 asked\)/),
    );
    const other = await freshHost();
    await assert.rejects(
      claims.claim(randomUUID(), other, { vcpus: 1, ramMb: 20000, diskGb: 200 }),
      hostRefused(/lacks RAM \(16384 MB free, 20000 MB asked\), disk \(160 GB free, 200 GB asked\)/),
    );
    assert.deepEqual(await usage(other), { vcpus: 0, ramMb: 0, diskGb: 0 });
  });

  it('refuses on a disabled host and on an unknown host, writing no claim', async () => {
    const host = await freshHost();
    await hosts.setDisabled(host, true, 'maintenance');
    const instanceId = randomUUID();
    await assert.rejects(claims.claim(instanceId, host, LARGE), hostRefused(/is disabled/));
    await assert.rejects(
      claims.claim(instanceId, `ghost-${randomUUID().slice(0, 8)}`, LARGE),
      hostRefused(/is not registered/),
    );
    assert.equal(await claims.claimOf(instanceId), null);
    assert.deepEqual(await usage(host), { vcpus: 0, ramMb: 0, diskGb: 0 });
  });
});
