/**
 * The leak checker against a real PostgreSQL: every kind of leak it names is made here with
 * the domain services (as a failed saga would leave it), found, then cleaned and no longer
 * found; resources of live instances are never reported.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkInvariants, type Violation } from '../../core/invariants/check-invariants.js';
import { PortAllocator } from '../../core/network/port-allocator.js';
import { ClaimService } from '../../core/scheduling/claims.js';
import { VolumeService } from '../../core/storage/volume-service.js';
import { insertInstance, useTestDatabase } from '../support/database.js';

const t = useTestDatabase(({ db }) => ({
  claims: new ClaimService(db),
  ports: new PortAllocator(db),
  volumes: new VolumeService(db, '127.0.0.1:3260'),
}));

const tiny = { vcpus: 1, ramMb: 512, diskGb: 1 };

/** A host of the test's own, so usage checks see only this test's claims. */
async function freshHost(): Promise<string> {
  const name = `inv-${randomUUID().slice(0, 8)}`;
  await t.db.query(
    `INSERT INTO hosts (name, vcpus, ram_mb, disk_gb, last_heartbeat_at) VALUES ($1, 8, 16384, 160, now())`,
    [name],
  );
  return name;
}

async function setStatus(id: string, status: string): Promise<void> {
  await t.db.query(`UPDATE instances SET status = $2 WHERE id = $1`, [id, status]);
}

/** The violations about the given ids (tests share one database). */
async function violationsOf(
  ids: string[],
  opts?: Parameters<typeof checkInvariants>[1],
): Promise<Array<Pick<Violation, 'kind' | 'id'>>> {
  const all = await checkInvariants(t.db, opts);
  return all.filter((v) => ids.includes(v.id)).map(({ kind, id }) => ({ kind, id }));
}

describe('checkInvariants', () => {
  it('finds nothing on a fresh database', async () => {
    assert.deepEqual(await checkInvariants(t.db), []);
  });

  it('leaves the claim, port and address of a live instance alone, and reports them once it is ERROR', async () => {
    const host = await freshHost();
    const inst = await insertInstance(t.db, { status: 'BUILD', host });
    await t.claims.claim(inst.id, host, tiny);
    const port = await t.ports.allocate({ instanceId: inst.id, networkId: inst.networkId, host });
    const [{ id: ipId }] = await t.db.query(`SELECT id FROM ip_allocations WHERE port_id = $1`, [port.portId]);
    const ids = [inst.id, port.portId, ipId, host];
    assert.deepEqual(await violationsOf(ids), []);

    await setStatus(inst.id, 'ERROR');
    const found = await checkInvariants(t.db);
    assert.deepEqual(
      found.filter((v) => ids.includes(v.id)).map((v) => v.kind),
      ['claim', 'ip_allocation', 'port'],
    );
    const claim = found.find((v) => v.kind === 'claim' && v.id === inst.id)!;
    assert.match(claim.detail, new RegExp(`claim on ${host} held for instance ${inst.id} is ERROR`));
    assert.match(
      found.find((v) => v.kind === 'port' && v.id === port.portId)!.detail,
      new RegExp(port.ip.replace(/\./g, '\\.')),
    );

    await t.claims.release(inst.id);
    await t.ports.deallocate(inst.id);
    assert.deepEqual(await violationsOf(ids), []);
  });

  it('reports what is held for an instance that does not exist, and an address whose port is gone', async () => {
    const host = await freshHost();
    const ghost = randomUUID();
    await t.claims.claim(ghost, host, tiny);
    const inst = await insertInstance(t.db, { status: 'ACTIVE', host });
    const port = await t.ports.allocate({ instanceId: inst.id, networkId: inst.networkId, host });
    const [{ id: ipId }] = await t.db.query(`SELECT id FROM ip_allocations WHERE port_id = $1`, [port.portId]);
    // A port row deleted on its own (by hand, or a half-done release) strands its address.
    await t.db.query(`DELETE FROM ports WHERE id = $1`, [port.portId]);
    const found = await checkInvariants(t.db);
    assert.match(found.find((v) => v.id === ghost)!.detail, /does not exist/);
    assert.deepEqual(
      found.filter((v) => v.id === ipId).map((v) => v.kind),
      ['ip_allocation'],
    );
    await t.claims.release(ghost);
    await t.db.query(`DELETE FROM ip_allocations WHERE id = $1`, [ipId]);
    assert.deepEqual(await violationsOf([ghost, ipId, host]), []);
  });

  it('reports a build volume that outlived its instance, and its attachment, until the volume is deleted', async () => {
    const host = await freshHost();
    const inst = await insertInstance(t.db, { status: 'ACTIVE', host });
    const volumeId = randomUUID();
    const owned = { volumeId, projectId: inst.projectId, sizeGb: 1, deleteOnTermination: true, instanceId: inst.id };
    await t.volumes.create(owned);
    const standalone = randomUUID();
    await t.volumes.create({ volumeId: standalone, projectId: inst.projectId, sizeGb: 1, deleteOnTermination: false });
    // Created but never attached (the attach failed): only the owner column links it to the build.
    assert.deepEqual(await violationsOf([volumeId, standalone]), []);
    await setStatus(inst.id, 'DELETED');
    assert.deepEqual(await violationsOf([volumeId, standalone]), [{ kind: 'volume', id: volumeId }]);

    await t.volumes.markAttached({ volumeId, instanceId: inst.id, host, device: 'vdb' });
    assert.deepEqual(await violationsOf([volumeId]), [
      { kind: 'attachment', id: volumeId },
      { kind: 'volume', id: volumeId },
    ]);
    await t.volumes.delete(volumeId);
    await t.volumes.delete(standalone);
    assert.deepEqual(await violationsOf([volumeId, standalone]), []);
    assert.deepEqual(
      await checkInvariants(t.db).then((all) => all.filter((v) => v.kind === 'storage_pool')),
      [],
      'pool allocation follows the volumes',
    );
  });

  it('reports host usage that is not the sum of its claims, and pool allocation that is not the sum of its volumes', async () => {
    const host = await freshHost();
    const inst = await insertInstance(t.db, { status: 'ACTIVE', host });
    await t.claims.claim(inst.id, host, tiny);
    assert.deepEqual(await violationsOf([host]), []);
    // A release that returned the claim's row but not its usage (or the reverse).
    await t.db.query(`UPDATE hosts SET ram_mb_used = ram_mb_used + 512 WHERE name = $1`, [host]);
    const [usage] = (await checkInvariants(t.db)).filter((v) => v.id === host);
    assert.equal(usage.kind, 'host_usage');
    assert.match(usage.detail, /1024 MB .* 512 MB/);
    await t.db.query(`UPDATE hosts SET ram_mb_used = ram_mb_used - 512 WHERE name = $1`, [host]);

    const [{ name: pool }] = await t.db.query(`SELECT name FROM storage_pools LIMIT 1`);
    await t.db.query(`UPDATE storage_pools SET allocated_gb = allocated_gb + 2 WHERE name = $1`, [pool]);
    assert.deepEqual(await violationsOf([pool]), [{ kind: 'storage_pool', id: pool }]);
    await t.db.query(`UPDATE storage_pools SET allocated_gb = allocated_gb - 2 WHERE name = $1`, [pool]);
    await t.claims.release(inst.id);
    assert.deepEqual(await violationsOf([host, pool]), []);
  });

  it('with the hosts’ domains: an orphan domain and an ACTIVE instance without one are reported', async () => {
    const host = await freshHost();
    const other = await freshHost();
    const active = await insertInstance(t.db, { status: 'ACTIVE', host });
    const building = await insertInstance(t.db, { status: 'BUILD', host });
    const failed = await insertInstance(t.db, { status: 'ERROR', host });
    const movedAway = await insertInstance(t.db, { status: 'ACTIVE', host: other });
    const lost = await insertInstance(t.db, { status: 'ACTIVE', host });
    const stray = 'not-an-instance';
    const domainsByHost = new Map([
      [host, [active.id, building.id, failed.id, movedAway.id, stray]],
      [other, [movedAway.id]],
    ]);
    const ids = [active.id, building.id, failed.id, movedAway.id, lost.id, stray];
    const found = (await checkInvariants(t.db, { domainsByHost })).filter((v) => ids.includes(v.id));
    assert.deepEqual(
      found.map(({ kind, id }) => ({ kind, id })),
      [
        ...[failed.id, movedAway.id, stray].sort((a, b) => a.localeCompare(b)).map((id) => ({ kind: 'domain', id })),
        { kind: 'missing_domain', id: lost.id },
      ],
    );
    assert.match(
      found.find((v) => v.id === movedAway.id)!.detail,
      new RegExp(`domain on ${host}: instance is ACTIVE on ${other}`),
    );
    // Without the domains (the API's view) none of these is visible.
    assert.deepEqual(await violationsOf(ids), []);
  });

  it('with the QEMU hosts’ processes: a QEMU of a dead instance and an ACTIVE instance without one are reported', async () => {
    const host = await freshHost();
    const active = await insertInstance(t.db, { status: 'ACTIVE', host });
    const building = await insertInstance(t.db, { status: 'BUILD', host });
    const stopping = await insertInstance(t.db, { status: 'SHUTOFF', host });
    const failed = await insertInstance(t.db, { status: 'ERROR', host });
    const deleted = await insertInstance(t.db, { status: 'DELETED', host });
    const lost = await insertInstance(t.db, { status: 'ACTIVE', host });
    const unknown = randomUUID();
    const qemuByHost = new Map([[host, [active.id, building.id, stopping.id, failed.id, deleted.id, unknown]]]);
    const ids = [active.id, building.id, stopping.id, failed.id, deleted.id, lost.id, unknown];
    const found = (await checkInvariants(t.db, { qemuByHost })).filter((v) => ids.includes(v.id));
    assert.deepEqual(
      found.map(({ kind, id }) => ({ kind, id })),
      [
        { kind: 'missing_qemu', id: lost.id },
        ...[failed.id, deleted.id, unknown]
          .sort((a, b) => a.localeCompare(b))
          .map((id) => ({ kind: 'qemu_process', id })),
      ],
    );
    assert.match(
      found.find((v) => v.id === failed.id)!.detail,
      new RegExp(`QEMU process on ${host}: instance is ERROR`),
    );
    assert.match(found.find((v) => v.id === lost.id)!.detail, /which has no QEMU process for it/);
    // A host not in the map (a fake-driver host) is not checked for processes.
    assert.deepEqual(await violationsOf(ids, { qemuByHost: new Map() }), []);
  });
  it("with the network node's DHCP: a reservation whose port is gone and a served network without ports are reported", async () => {
    const host = await freshHost();
    const inst = await insertInstance(t.db, { status: 'ACTIVE', host });
    const port = await t.ports.allocate({ instanceId: inst.id, networkId: inst.networkId, host });
    const network = { networkId: inst.networkId, cidr: port.subnet!.cidr, gateway: port.subnet!.gateway };
    const reservation = { portId: port.portId, instanceId: inst.id, mac: port.mac, ip: port.ip };
    const served = [{ network: { ...network, segmentation: port.segmentation }, reservations: [reservation] }];
    const dhcp = { served, namespaces: new Set([`qdhcp-${inst.networkId}`]) };
    assert.deepEqual(await violationsOf([port.portId, inst.networkId], { dhcp }), []);

    await t.ports.deallocate(inst.id);
    const found = await violationsOf([port.portId, inst.networkId], { dhcp });
    assert.deepEqual(
      found,
      [{ kind: 'dhcp_reservation', id: port.portId }]
        .concat(
          // The shared seeded network may still have other tests' ports: only then is it served rightly.
          (await t.db.query(`SELECT 1 FROM ports WHERE network_id = $1`, [inst.networkId])).length === 0
            ? [{ kind: 'dhcp_namespace', id: inst.networkId }]
            : [],
        )
        .sort((a, b) => a.kind.localeCompare(b.kind)),
    );
    const gone = { networkId: randomUUID(), cidr: '10.9.0.0/28', gateway: '10.9.0.1' };
    const deleted = [{ network: { ...gone, segmentation: port.segmentation }, reservations: [] }];
    assert.deepEqual(await violationsOf([gone.networkId], { dhcp: { served: deleted, namespaces: new Set() } }), [
      { kind: 'dhcp_namespace', id: gone.networkId },
    ]);
  });
});
