import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ClaimService } from '../../core/scheduling/claims.js';
import { HostRegistry } from '../../core/scheduling/host-registry.js';
import { HostSelector, isNeverFits } from '../../core/scheduling/host-selector.js';
import { seededRandom } from '../../core/scheduling/seeded-random.js';
import { useTestDatabase } from '../support/database.js';
import { domainError } from '../support/domain-error.js';

const DOWN_AFTER_SEC = 30;

let registry: HostRegistry;
let claims: ClaimService;

const t = useTestDatabase(({ db }) => {
  registry = new HostRegistry(db, DOWN_AFTER_SEC);
  claims = new ClaimService(db);
});

const TINY = { vcpus: 1, ramMb: 512, diskGb: 1 };

/**
 * Registers `count` fresh hosts and makes them the only live ones: every other host's
 * heartbeat is cleared, so each test sets its own world whatever ran before it.
 */
async function onlyLive(count: number, ramMb = 16384): Promise<string[]> {
  const prefix = `sel-${randomUUID().slice(0, 6)}`;
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
  await t.db.query(`UPDATE hosts SET last_heartbeat_at = NULL`);
  for (const name of names) await registry.register({ name, vcpus: 8, ramMb, diskGb: 160 });
  return names;
}

async function ageHeartbeat(name: string, secondsAgo: number): Promise<void> {
  await t.db.query(`UPDATE hosts SET last_heartbeat_at = now() - make_interval(secs => $2) WHERE name = $1`, [
    name,
    secondsAgo,
  ]);
}

const noValidHost = (pattern: RegExp) => domainError('NoValidHost', pattern);

describe('HostRegistry', () => {
  it('register and heartbeat make a host up, with its capacity and default ratios', async () => {
    const name = `reg-${randomUUID().slice(0, 8)}`;
    assert.equal(await registry.get(name), null);
    await registry.register({ name, vcpus: 16, ramMb: 32768, diskGb: 500 });
    const h = await registry.get(name);
    assert.ok(h);
    assert.equal(h.status, 'up');
    assert.deepEqual(
      [
        h.vcpus,
        h.ramMb,
        h.diskGb,
        h.vcpusUsed,
        h.ramMbUsed,
        h.diskGbUsed,
        h.cpuAllocationRatio,
        h.ramAllocationRatio,
        h.diskAllocationRatio,
      ],
      [16, 32768, 500, 0, 0, 0, 4, 1, 1],
    );
    await ageHeartbeat(name, DOWN_AFTER_SEC + 30);
    assert.equal((await registry.get(name))?.status, 'down');
    await registry.recordHeartbeats([{ host: name, sentAt: Date.now() }]);
    const back = await registry.get(name);
    assert.equal(back?.status, 'up');
    assert.ok(Date.now() - Date.parse(back.lastHeartbeatAt!) < 10_000);
  });

  it('seeded hosts are down until their agent registers', async () => {
    const seeded = (await registry.list()).filter((h) => ['node-1', 'node-2', 'node-3'].includes(h.name));
    assert.equal(seeded.length, 3);
    await t.db.query(`UPDATE hosts SET last_heartbeat_at = NULL WHERE name = 'node-3'`);
    assert.equal((await registry.get('node-3'))?.status, 'down');
    assert.equal((await registry.get('node-3'))?.lastHeartbeatAt, null);
  });

  it('re-registering updates capacity but keeps usage (the sum of live claims)', async () => {
    const [name] = await onlyLive(1);
    await claims.claim(randomUUID(), name, { vcpus: 2, ramMb: 4096, diskGb: 40 });
    await registry.register({ name, vcpus: 12, ramMb: 24576, diskGb: 200, ramAllocationRatio: 1.5 });
    const h = await registry.get(name);
    assert.deepEqual([h?.vcpus, h?.ramMb, h?.diskGb, h?.ramAllocationRatio], [12, 24576, 200, 1.5]);
    assert.deepEqual([h?.vcpusUsed, h?.ramMbUsed, h?.diskGbUsed], [2, 4096, 40]);
  });

  it('disabling shows the host disabled with its reason; enabling clears the reason', async () => {
    const [name] = await onlyLive(1);
    assert.equal(await registry.setDisabled(name, true, 'hardware check'), true);
    let h = await registry.get(name);
    assert.deepEqual([h?.status, h?.disabledReason], ['disabled', 'hardware check']);
    assert.equal(await registry.setDisabled(name, false), true);
    h = await registry.get(name);
    assert.deepEqual([h?.status, h?.disabledReason], ['up', null]);
    assert.equal(await registry.setDisabled(`ghost-${randomUUID().slice(0, 8)}`, true), false);
  });
});

describe('HostSelector', () => {
  it('offers a live host and skips one whose heartbeat is older than the service-down time', async () => {
    const [a, b] = await onlyLive(2);
    const selector = new HostSelector(t.db, DOWN_AFTER_SEC);
    await ageHeartbeat(a, DOWN_AFTER_SEC + 1);
    for (let i = 0; i < 3; i++) assert.equal(await selector.select(TINY), b);
    await ageHeartbeat(b, DOWN_AFTER_SEC + 1);
    await assert.rejects(selector.select(TINY), noValidHost(/\((\d+) hosts, 0 disabled, \1 down,/));
    await registry.recordHeartbeats([{ host: a, sentAt: Date.now() }]);
    assert.equal(await selector.select(TINY), a);
  });

  it('skips disabled hosts', async () => {
    const [a, b] = await onlyLive(2);
    const selector = new HostSelector(t.db, DOWN_AFTER_SEC);
    await registry.setDisabled(b, true, 'maintenance');
    await claims.claim(randomUUID(), a, { vcpus: 1, ramMb: 8192, diskGb: 1 }); // b would win on spread
    assert.equal(await selector.select(TINY), a);
    await registry.setDisabled(a, true);
    await assert.rejects(selector.select(TINY), noValidHost(/2 disabled/));
  });

  it('honours excludeHosts and names them when nothing is left', async () => {
    const [a, b, c] = await onlyLive(3);
    const selector = new HostSelector(t.db, DOWN_AFTER_SEC);
    const picked = new Set<string>();
    const tried: string[] = [];
    for (let i = 0; i < 3; i++) {
      const host = await selector.select(TINY, tried);
      assert.ok(!tried.includes(host), `${host} was already tried`);
      tried.push(host);
      picked.add(host);
    }
    assert.deepEqual([...picked].sort(), [a, b, c].sort());
    await assert.rejects(selector.select(TINY, tried), noValidHost(new RegExp(`already tried: ${tried.join(', ')}`)));
  });

  it('spread picks the emptiest host, pack the fullest that still fits', async () => {
    const [a, b, c] = await onlyLive(3);
    await claims.claim(randomUUID(), a, { vcpus: 1, ramMb: 4096, diskGb: 1 });
    await claims.claim(randomUUID(), c, { vcpus: 1, ramMb: 12288, diskGb: 1 });
    assert.equal(await new HostSelector(t.db, DOWN_AFTER_SEC, 'spread').select(TINY), b);
    assert.equal(await new HostSelector(t.db, DOWN_AFTER_SEC, 'pack').select(TINY), c);
    // c has 4096 MB left: a request for 8192 MB packs onto a instead.
    assert.equal(await new HostSelector(t.db, DOWN_AFTER_SEC, 'pack').select({ vcpus: 1, ramMb: 8192, diskGb: 1 }), a);
  });

  it('spreads simultaneous builds over the best hosts (host_subset_size), repeatably with a seed', async () => {
    const names = await onlyLive(4);
    // The fourth host is the fullest: never among the best three.
    await claims.claim(randomUUID(), names[3], { vcpus: 1, ramMb: 4096, diskGb: 1 });
    const pick = async (seed: number) => {
      const selector = new HostSelector(t.db, DOWN_AFTER_SEC, 'spread', { size: 3, random: seededRandom(seed) });
      const chosen: string[] = [];
      for (let i = 0; i < 30; i++) chosen.push(await selector.select(TINY));
      return chosen;
    };
    const first = await pick(7);
    // With ties broken by name alone, all 30 went to the first host.
    assert.deepEqual([...new Set(first)].sort(), names.slice(0, 3));
    assert.deepEqual(await pick(7), first);
    assert.notDeepEqual(await pick(8), first);
  });

  it('filters on every resource under its allocation ratio', async () => {
    const [a, b] = await onlyLive(2);
    const selector = new HostSelector(t.db, DOWN_AFTER_SEC);
    // a: 8 vCPUs × 4.0 = 32 schedulable, all taken; b: 160 GB disk, 150 taken.
    await claims.claim(randomUUID(), a, { vcpus: 32, ramMb: 1, diskGb: 1 });
    await claims.claim(randomUUID(), b, { vcpus: 1, ramMb: 1, diskGb: 150 });
    assert.equal(await selector.select(TINY), b);
    await assert.rejects(selector.select({ vcpus: 1, ramMb: 512, diskGb: 20 }), noValidHost(/the rest are full/));
    // RAM over-commit: 16384 MB × 1.5 takes a 20000 MB build that no 1.0 host could.
    const c = `${a}-overcommit`;
    await registry.register({ name: c, vcpus: 8, ramMb: 16384, diskGb: 160, ramAllocationRatio: 1.5 });
    assert.equal(await selector.select({ vcpus: 1, ramMb: 20000, diskGb: 1 }), c);
  });

  it('a flavor larger than any host gives NoValidHost saying no host is large enough', async () => {
    await onlyLive(2);
    const selector = new HostSelector(t.db, DOWN_AFTER_SEC);
    const huge = { vcpus: 1, ramMb: 10_000_000, diskGb: 1 };
    await assert.rejects(selector.select(huge), (err: unknown) => {
      noValidHost(/^no host is large enough for 1 vCPU, 10000000 MB RAM, 1 GB disk$/)(err);
      assert.equal(isNeverFits((err as Error).message), true);
      return true;
    });
  });

  it('a flavor that fits some host but finds no room is not "never fits"', async () => {
    const [a] = await onlyLive(1);
    await claims.claim(randomUUID(), a, { vcpus: 1, ramMb: 16000, diskGb: 1 });
    const selector = new HostSelector(t.db, DOWN_AFTER_SEC);
    await assert.rejects(selector.select({ vcpus: 1, ramMb: 8192, diskGb: 1 }), (err: unknown) => {
      noValidHost(/^no host has room for 1 vCPU, 8192 MB RAM, 1 GB disk/)(err);
      assert.equal(isNeverFits((err as Error).message), false);
      return true;
    });
  });
});
