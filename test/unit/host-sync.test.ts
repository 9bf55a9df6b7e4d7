import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { HostReport } from '../../contracts/host-sync.js';
import { bridgeName, tapDeviceName } from '../../core/network/port-binding.js';
import { ClaimService } from '../../core/scheduling/claims.js';
import { HostRegistry } from '../../core/scheduling/host-registry.js';
import { HostSyncService } from '../../core/scheduling/host-sync.js';
import { insertInstance, useTestDatabase } from '../support/database.js';

/**
 * The control plane's half of a host's reconciliation (HostSync's activity): registration,
 * the power-state sync, and the answer the agent acts on; and the heartbeats' dating, which
 * keeps a late heartbeat from making a dead host look alive.
 */

const DOWN_AFTER_SEC = 30;
let registry: HostRegistry;
let sync: HostSyncService;
let claims: ClaimService;

const t = useTestDatabase(({ db }) => {
  registry = new HostRegistry(db, DOWN_AFTER_SEC);
  sync = new HostSyncService(db, registry);
  claims = new ClaimService(db);
});

const freshName = () => `sync-${randomUUID().slice(0, 8)}`;
const report = (host: string, more: Partial<HostReport> = {}): HostReport => ({
  host,
  sentAt: Date.now(),
  domains: [],
  ...more,
});
const capacity = { vcpus: 8, ramMb: 16384, diskGb: 160 };

async function insertPort(instanceId: string, networkId: string, host: string): Promise<string> {
  const mac = `fa:16:3e:${randomUUID()
    .slice(0, 8)
    .replace(/(..)(..)(..).*/, '$1:$2:$3')}`;
  const [{ id }] = await t.db.query(
    `INSERT INTO ports (network_id, instance_id, host, mac_address) VALUES ($1, $2, $3, $4) RETURNING id`,
    [networkId, instanceId, host, mac],
  );
  return id;
}

describe('HostSyncService', () => {
  it('registers a host that reports its capacity: up, with its hypervisor type', async () => {
    const host = freshName();
    await sync.sync([report(host, { capacity, hypervisorType: 'fake' })]);
    const h = await registry.get(host);
    assert.deepEqual([h?.status, h?.vcpus, h?.ramMb, h?.diskGb, h?.hypervisorType], ['up', 8, 16384, 160, 'fake']);
  });

  it('a report without capacity registers nothing', async () => {
    const host = freshName();
    const { hosts } = await sync.sync([report(host)]);
    assert.equal(await registry.get(host), null);
    assert.deepEqual(hosts[0].instances, []);
  });

  it("answers the reported domains' instances and the host's ACTIVE ones, its placed instances and every build", async () => {
    const host = freshName();
    const active = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const stopped = await insertInstance(t.db, { status: 'SHUTOFF', taskState: null, host });
    const elsewhere = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host: 'node-elsewhere' });
    const deleted = await insertInstance(t.db, { status: 'DELETED', taskState: null, host });
    const building = await insertInstance(t.db, { status: 'BUILD', taskState: 'spawning', host: 'node-elsewhere' });
    const domains = [elsewhere.id, deleted.id, 'not-a-uuid'].map((instanceId) => ({
      instanceId,
      state: 'running' as const,
    }));
    const result = await sync.sync([report(host, { domains })]);
    const [answer] = result.hosts;
    const byId = new Map(answer.instances.map((r) => [r.id, r]));
    assert.deepEqual([...byId.keys()].sort(), [active.id, elsewhere.id, deleted.id].sort());
    assert.deepEqual(byId.get(elsewhere.id), {
      id: elsewhere.id,
      status: 'ACTIVE',
      host: 'node-elsewhere',
      taskState: null,
    });
    assert.deepEqual(answer.placedInstanceIds.sort(), [active.id, stopped.id].sort());
    assert.ok(result.building.includes(building.id));
    assert.ok(!result.building.includes(active.id));
    assert.deepEqual(answer.shutoff, []);
  });

  it('power-state sync: an ACTIVE instance whose domain is shut off becomes SHUTOFF, unless a task is in flight', async () => {
    const host = freshName();
    const died = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const stopping = await insertInstance(t.db, { status: 'ACTIVE', taskState: 'powering-off', host });
    const stopped = await insertInstance(t.db, { status: 'SHUTOFF', taskState: null, host });
    const running = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const moved = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host: 'node-elsewhere' });
    const domains = [
      ...[died, stopping, stopped, moved].map((i) => ({ instanceId: i.id, state: 'shutoff' as const })),
      { instanceId: running.id, state: 'running' as const },
    ];
    const [answer] = (await sync.sync([report(host, { domains })])).hosts;
    assert.deepEqual(answer.shutoff, [died.id]);
    assert.equal(answer.instances.find((r) => r.id === died.id)?.status, 'SHUTOFF', 'the answer shows the sync');
    const rows: Array<{ id: string; status: string; power_state: number | null }> = await t.db.query(
      `SELECT id, status, power_state FROM instances WHERE id = ANY($1)`,
      [[died.id, stopping.id, running.id, moved.id]],
    );
    const status = new Map(rows.map((r) => [r.id, [r.status, r.power_state]]));
    assert.deepEqual(status.get(died.id), ['SHUTOFF', 4]);
    // A stop in flight is its task's to finish; another host's instance is not this host's to judge.
    assert.equal(status.get(stopping.id)?.[0], 'ACTIVE');
    assert.equal(status.get(moved.id)?.[0], 'ACTIVE');
    assert.equal(status.get(running.id)?.[0], 'ACTIVE');
  });

  it('answers the taps and bridges of the live ports on the host, and the claims recorded there', async () => {
    const host = freshName();
    await registry.register({ name: host, ...capacity });
    const active = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const deleted = await insertInstance(t.db, { status: 'DELETED', taskState: null, host });
    const portId = await insertPort(active.id, active.networkId, host);
    await insertPort(deleted.id, deleted.networkId, host);
    await claims.claim(active.id, host, { vcpus: 1, ramMb: 512, diskGb: 1 }, 2);
    const [answer] = (await sync.sync([report(host)])).hosts;
    const devices = { taps: [tapDeviceName(portId)], bridges: [bridgeName(active.networkId)] };
    assert.deepEqual(answer.expectedDevices, devices);
    assert.equal(answer.claims.length, 1);
    const [claim] = answer.claims;
    assert.deepEqual(
      { ...claim, createdAt: undefined },
      {
        instanceId: active.id,
        vcpus: 1,
        ramMb: 512,
        diskGb: 1,
        attemptNo: 2,
        createdAt: undefined,
      },
    );
    assert.ok(Math.abs(Date.parse(claim.createdAt) - Date.now()) < 60_000, claim.createdAt);
  });

  it('answers a batch of hosts in order, each with its own (the simulated fleet registers this way)', async () => {
    const names = [freshName(), freshName(), freshName()];
    const onSecond = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host: names[1] });
    const { hosts } = await sync.sync(names.map((host) => report(host, { capacity, hypervisorType: 'fake' })));
    assert.deepEqual(
      hosts.map((h) => [h.host, h.instances.map((i) => i.id), h.placedInstanceIds]),
      [
        [names[0], [], []],
        [names[1], [onSecond.id], [onSecond.id]],
        [names[2], [], []],
      ],
    );
    for (const name of names) assert.equal((await registry.get(name))?.status, 'up');
  });
});

describe('heartbeats, dated by when they were sent', () => {
  async function lastHeartbeat(host: string): Promise<number> {
    return Date.parse((await registry.get(host))!.lastHeartbeatAt!);
  }

  it('a heartbeat delivered late dates the host by its send time: a dead host stays down', async () => {
    const host = freshName();
    await registry.register({ name: host, ...capacity }, new Date(Date.now() - 120_000));
    assert.equal((await registry.get(host))?.status, 'down', 'a registration sent two minutes ago');
    await registry.recordHeartbeats([{ host, sentAt: Date.now() - 60_000 }]);
    assert.equal((await registry.get(host))?.status, 'down');
    assert.ok(Math.abs((await lastHeartbeat(host)) - (Date.now() - 60_000)) < 5_000);
    await registry.recordHeartbeats([{ host, sentAt: Date.now() }]);
    assert.equal((await registry.get(host))?.status, 'up');
  });

  it('never moves back in time, nor past now (an agent whose clock runs ahead)', async () => {
    const host = freshName();
    await registry.register({ name: host, ...capacity });
    const registered = await lastHeartbeat(host);
    await registry.recordHeartbeats([{ host, sentAt: registered - 10_000 }]);
    assert.equal(await lastHeartbeat(host), registered);
    await registry.recordHeartbeats([{ host, sentAt: Date.now() + 3_600_000 }]);
    assert.ok((await lastHeartbeat(host)) < Date.now() + 5_000);
  });

  it('clears a suspicion only with a heartbeat sent after it was raised', async () => {
    const host = freshName();
    await registry.register({ name: host, ...capacity });
    const before = Date.now() - 5_000;
    await registry.markSuspect(host);
    await registry.recordHeartbeats([{ host, sentAt: before }]);
    assert.ok((await registry.get(host))?.suspectSince, 'a heartbeat sent before the suspicion leaves it');
    await registry.recordHeartbeats([{ host, sentAt: Date.now() + 1 }]);
    assert.equal((await registry.get(host))?.suspectSince, null);
  });

  it('records many hosts at once, each by its latest heartbeat', async () => {
    const names = Array.from({ length: 450 }, freshName);
    for (const name of names) await registry.register({ name, ...capacity }, new Date(Date.now() - 120_000));
    const now = Date.now();
    await registry.recordHeartbeats([
      ...names.map((host) => ({ host, sentAt: now - 90_000 })),
      ...names.map((host) => ({ host, sentAt: now })),
    ]);
    const up: Array<{ n: number }> = await t.db.query(
      `SELECT count(*)::int AS n FROM hosts WHERE name = ANY($1) AND last_heartbeat_at > now() - interval '10 seconds'`,
      [names],
    );
    assert.equal(up[0].n, names.length);
  });
});
