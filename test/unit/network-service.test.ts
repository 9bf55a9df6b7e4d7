import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { NetworkService } from '../../core/network/network-service.js';
import { PortAllocator } from '../../core/network/port-allocator.js';
import { insertInstance, useTestDatabase } from '../support/database.js';
import { domainError } from '../support/domain-error.js';

let networks: NetworkService;
let ports: PortAllocator;

const t = useTestDatabase(({ db }) => {
  networks = new NetworkService(db);
  ports = new PortAllocator(db);
});

const name = () => `net-${randomUUID().slice(0, 8)}`;

const conflict = domainError;

async function count(sql: string, params: unknown[]): Promise<number> {
  const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return n;
}

describe('NetworkService', () => {
  it('creates a network with its plan and finds it by id and by name', async () => {
    const n = name();
    const created = await networks.create({
      name: n,
      cidr: '10.60.0.0/24',
      gateway: '10.60.0.254',
      dnsServers: ['192.0.2.53'],
      segmentation: { type: 'vlan', id: 601 },
    });
    assert.deepEqual(
      [
        created.cidr,
        created.gateway,
        created.allocationStart,
        created.allocationEnd,
        created.dnsServers,
        created.segmentationType,
        created.segmentationId,
      ],
      ['10.60.0.0/24', '10.60.0.254', '10.60.0.1', '10.60.0.254', ['192.0.2.53'], 'vlan', 601],
    );
    assert.equal((await networks.get(created.id)).name, n);
    assert.equal((await networks.get(n)).id, created.id);
    await assert.rejects(networks.get('no-such-network'), (err) => err instanceof NotFoundError);
  });

  it('refuses a name, an overlapping CIDR or a segmentation id already taken, writing nothing', async () => {
    const first = await networks.create({
      name: name(),
      cidr: '10.61.0.0/24',
      segmentation: { type: 'vlan', id: 611 },
    });
    const before = await count('networks', []);
    await assert.rejects(
      networks.create({ name: first.name, cidr: '10.62.0.0/24', segmentation: { type: 'flat' } }),
      conflict('NetworkNameInUse', /exists/),
    );
    // A smaller network inside it, and a bigger one around it, both overlap.
    await assert.rejects(
      networks.create({ name: name(), cidr: '10.61.0.128/25', segmentation: { type: 'flat' } }),
      conflict(
        'NetworkOverlap',
        new RegExp(`10\\.61\\.0\\.128/25 overlaps network ${first.name} \\(10\\.61\\.0\\.0/24\\)`),
      ),
    );
    await assert.rejects(
      networks.create({ name: name(), cidr: '10.60.0.0/15', segmentation: { type: 'flat' } }),
      conflict('NetworkOverlap', /overlaps/),
    );
    await assert.rejects(
      networks.create({ name: name(), cidr: '10.63.0.0/24', segmentation: { type: 'vlan', id: 611 } }),
      conflict('SegmentationIdInUse', new RegExp(`vlan 611 is already used by network ${first.name}`)),
    );
    assert.equal(await count('networks', []), before);
    // The same number under another segmentation type is another segment; flat networks have no id to clash.
    await networks.create({ name: name(), cidr: '10.64.0.0/24', segmentation: { type: 'vxlan', id: 611 } });
    await networks.create({ name: name(), cidr: '10.65.0.0/24', segmentation: { type: 'flat' } });
    await networks.create({ name: name(), cidr: '10.66.0.0/24', segmentation: { type: 'flat' } });
  });

  it('refuses bad input before touching the database', async () => {
    await assert.rejects(
      networks.create({ name: name(), cidr: '10.67.0.0/24', segmentation: { type: 'vlan', id: 5000 } }),
      (err) => err instanceof ValidationError && err.field === 'segmentation.id',
    );
    await assert.rejects(
      networks.create({
        name: name(),
        cidr: '10.67.0.0/24',
        allocationStart: '10.68.0.1',
        segmentation: { type: 'flat' },
      }),
      (err) => err instanceof ValidationError && err.field === 'allocationStart',
    );
  });

  it('lets exactly one of several concurrent overlapping creates win', async () => {
    const cidrs = ['10.70.0.0/24', '10.70.0.0/25', '10.70.0.128/25', '10.70.0.0/23', '10.70.0.64/26', '10.70.0.0/24'];
    const results = await Promise.allSettled(
      cidrs.map((cidr, i) => networks.create({ name: name(), cidr, segmentation: { type: 'vlan', id: 700 + i } })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(
      won.length,
      1,
      JSON.stringify(results.map((r) => (r.status === 'fulfilled' ? r.value.cidr : String(r.reason)))),
    );
    for (const r of results) if (r.status === 'rejected') conflict('NetworkOverlap', /overlaps/)(r.reason);
    assert.equal(await count(`networks WHERE cidr && '10.70.0.0/23'::cidr`, []), 1);
  });

  it('refuses to delete a network with a port or a build in progress, then deletes it once free', async () => {
    const net = await networks.create({ name: name(), cidr: '10.71.0.0/28', segmentation: { type: 'vlan', id: 711 } });
    const instanceId = randomUUID();
    await ports.allocate({ instanceId, networkId: net.id, host: 'node-1' });
    await assert.rejects(
      networks.delete(net.id),
      conflict('NetworkInUse', new RegExp(`network ${net.name} is in use by 1 port\\(s\\)`)),
    );
    await ports.deallocate(instanceId);

    const building = await insertInstance(t.db, { status: 'BUILD', networkId: net.id });
    await assert.rejects(networks.delete(net.name), conflict('NetworkInUse', /1 build\(s\) in progress/));
    await t.db.query(`UPDATE instances SET status = 'ERROR' WHERE id = $1`, [building.id]);

    await networks.delete(net.name);
    assert.equal(await count('networks WHERE id = $1', [net.id]), 0);
    await assert.rejects(networks.delete(net.id), (err) => err instanceof NotFoundError);
    // A port can no longer be made on it.
    await assert.rejects(
      ports.allocate({ instanceId: randomUUID(), networkId: net.id, host: 'node-1' }),
      (err) => err instanceof NotFoundError,
    );
  });

  it('never deletes a network under a port being allocated at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const net = await networks.create({
        name: name(),
        cidr: `10.72.${round}.0/28`,
        segmentation: { type: 'vlan', id: 720 + round },
      });
      const [allocated, deleted] = await Promise.allSettled([
        ports.allocate({ instanceId: randomUUID(), networkId: net.id, host: 'node-1' }),
        networks.delete(net.id),
      ]);
      // Either the port came first (and the delete was refused) or the delete did (and the port found no network).
      assert.notEqual(
        allocated.status,
        deleted.status,
        `round ${round}: ${JSON.stringify([allocated, deleted].map((r) => r.status))}`,
      );
      const orphans = await count(
        `ports p WHERE p.network_id = $1 AND NOT EXISTS (SELECT 1 FROM networks n WHERE n.id = p.network_id)`,
        [net.id],
      );
      assert.equal(orphans, 0, 'no port on a deleted network');
    }
  });
});
