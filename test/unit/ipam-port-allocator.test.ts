import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createDataSource } from '../../core/db/data-source.js';
import { DomainError } from '../../core/errors.js';
import { MAC_PREFIX } from '../../core/network/mac-address.js';
import { PortAllocator } from '../../core/network/port-allocator.js';
import { ipv4ToInt } from '../../core/network/subnet.js';
import { insertNetwork, useTestDatabase } from '../support/database.js';

let ports: PortAllocator;

const t = useTestDatabase(({ db }) => {
  ports = new PortAllocator(db);
});

const MAC = new RegExp(`^${MAC_PREFIX}(:[0-9a-f]{2}){3}$`);

async function rowsOf(networkId: string): Promise<{ ports: number; addresses: number; portsWithoutIp: number }> {
  const [r] = await t.db.query(
    `SELECT (SELECT count(*)::int FROM ports WHERE network_id = $1) AS ports,
            (SELECT count(*)::int FROM ip_allocations WHERE network_id = $1) AS addresses,
            (SELECT count(*)::int FROM ports p WHERE p.network_id = $1
               AND NOT EXISTS (SELECT 1 FROM ip_allocations a WHERE a.port_id = p.id)) AS "portsWithoutIp"`,
    [networkId],
  );
  return r;
}

function isNetworkExhausted(err: unknown): boolean {
  return err instanceof DomainError && err.code === 'NetworkExhausted' && err.retryable === false;
}

describe('PortAllocator', () => {
  it('gives a port an address in the range, a fa:16:3e MAC, the segmentation and a tap device', async () => {
    const net = await insertNetwork(t.db, '10.20.0.0/24', { segmentationType: 'vxlan', segmentationId: 5001 });
    const instanceId = randomUUID();
    const port = await ports.allocate({ instanceId, networkId: net.id, host: 'node-1' });
    assert.equal(port.networkId, net.id);
    assert.equal(port.networkName, net.name);
    assert.deepEqual(port.segmentation, { type: 'vxlan', id: 5001 });
    // The network node serves DHCP from the subnet: the gateway is the router it offers.
    assert.deepEqual(port.subnet, { cidr: '10.20.0.0/24', gateway: net.gateway });
    assert.match(port.mac, MAC);
    assert.match(port.deviceName, /^tap[0-9a-f-]{11}$/);
    assert.ok(port.deviceName.startsWith(`tap${port.portId.slice(0, 11)}`));
    // The binding tells the host how to wire it: the port's tap on the network's bridge.
    assert.deepEqual(port.binding, {
      vifType: 'bridge',
      details: {
        bridge: `brq${net.id.slice(0, 11)}`,
        tapDevice: port.deviceName,
        segmentation: { type: 'vxlan', id: 5001 },
      },
    });
    const ip = ipv4ToInt(port.ip);
    assert.ok(
      ip >= ipv4ToInt(net.allocationStart) && ip <= ipv4ToInt(net.allocationEnd),
      `${port.ip} outside the range`,
    );
    assert.notEqual(port.ip, net.gateway);
    const [row] = await t.db.query(
      `SELECT host, instance_id, mac_address::text AS mac, status FROM ports WHERE id = $1`,
      [port.portId],
    );
    assert.deepEqual(row, { host: 'node-1', instance_id: instanceId, mac: port.mac, status: 'down' });
  });

  it('is idempotent per (instance, network): a retry returns the same port, IP and MAC', async () => {
    const net = await insertNetwork(t.db, '10.21.0.0/24');
    const instanceId = randomUUID();
    const first = await ports.allocate({ instanceId, networkId: net.id, host: 'node-1' });
    const again = await ports.allocate({ instanceId, networkId: net.id, host: 'node-1' });
    assert.deepEqual(again, first);
    // Concurrent retries of the same activity also converge on one port.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => ports.allocate({ instanceId, networkId: net.id, host: 'node-1' })),
    );
    for (const p of racing) assert.deepEqual(p, first);
    assert.deepEqual(await rowsOf(net.id), { ports: 1, addresses: 1, portsWithoutIp: 0 });
  });

  it('rebinds the existing port when a retry comes from another host', async () => {
    const net = await insertNetwork(t.db, '10.22.0.0/24');
    const instanceId = randomUUID();
    const first = await ports.allocate({ instanceId, networkId: net.id, host: 'node-1' });
    const moved = await ports.allocate({ instanceId, networkId: net.id, host: 'node-2' });
    assert.equal(moved.portId, first.portId);
    assert.equal(moved.ip, first.ip);
    const [row] = await t.db.query(`SELECT host FROM ports WHERE id = $1`, [first.portId]);
    assert.equal(row.host, 'node-2');
  });

  it('refuses an unknown network and writes nothing', async () => {
    const instanceId = randomUUID();
    await assert.rejects(ports.allocate({ instanceId, networkId: randomUUID(), host: 'node-1' }), (err: unknown) => {
      assert.ok(err instanceof DomainError);
      assert.equal(err.code, 'NotFound');
      return true;
    });
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM ports WHERE instance_id = $1`, [instanceId]);
    assert.equal(n, 0);
  });

  it('hands 50 concurrent builds on one network 50 distinct IPs and MACs', async () => {
    const net = await insertNetwork(t.db, '10.23.0.0/24');
    const allocated = await Promise.all(
      Array.from({ length: 50 }, () => ports.allocate({ instanceId: randomUUID(), networkId: net.id, host: 'node-1' })),
    );
    assert.equal(new Set(allocated.map((p) => p.ip)).size, 50);
    assert.equal(new Set(allocated.map((p) => p.mac)).size, 50);
    assert.equal(new Set(allocated.map((p) => p.portId)).size, 50);
    for (const p of allocated) {
      assert.match(p.mac, MAC);
      assert.notEqual(p.ip, net.gateway);
      assert.notEqual(p.ip, '10.23.0.0');
      assert.notEqual(p.ip, '10.23.0.255');
      assert.ok(p.ip.startsWith('10.23.0.'));
    }
    assert.deepEqual(await rowsOf(net.id), { ports: 50, addresses: 50, portsWithoutIp: 0 });
  });

  it('on a /29 (5 addresses), 8 concurrent builds get 5 ports and 3 NetworkExhausted, leaking no port', async () => {
    const net = await insertNetwork(t.db, '10.24.0.0/29');
    assert.equal(net.allocatable, 5);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => ports.allocate({ instanceId: randomUUID(), networkId: net.id, host: 'node-1' })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    assert.equal(ok.length, 5);
    assert.equal(failed.length, 3);
    for (const err of failed) {
      assert.ok(isNetworkExhausted(err), `expected NetworkExhausted, got ${String(err)}`);
      assert.match((err as Error).message, /10\.24\.0\.0\/29.*no free address/);
    }
    assert.deepEqual(ok.map((p) => p.ip).sort(), ['10.24.0.2', '10.24.0.3', '10.24.0.4', '10.24.0.5', '10.24.0.6']);
    assert.deepEqual(await rowsOf(net.id), { ports: 5, addresses: 5, portsWithoutIp: 0 });
  });

  it('allocates on a /8 without walking its 16 million addresses (no temp file: temp_file_limit 64 kB)', async () => {
    // Before, every allocation generated the whole range (about 5 s and hundreds of MB of temporary data on a
    // /8); the server now refuses any query that spills more than 64 kB, so a range walk fails here.
    const limited = await createDataSource(`${t.url}?options=-c%20temp_file_limit%3D64kB%20-c%20work_mem%3D64kB`, {
      poolSize: 4,
    }).initialize();
    try {
      const net = await insertNetwork(t.db, '10.0.0.0/8');
      const wide = new PortAllocator(limited);
      const allocated = await Promise.all(
        Array.from({ length: 20 }, () =>
          wide.allocate({ instanceId: randomUUID(), networkId: net.id, host: 'node-1' }),
        ),
      );
      assert.equal(new Set(allocated.map((p) => p.ip)).size, 20);
      for (const p of allocated) assert.ok(p.ip.startsWith('10.') && p.ip !== net.gateway, p.ip);
    } finally {
      await limited.destroy();
    }
  });

  it('fills a range whose free addresses sit between allocated ones and after the gateway', async () => {
    const net = await insertNetwork(t.db, '10.26.0.0/28', { gateway: '10.26.0.7' });
    const got = [];
    for (let i = 0; i < 13; i++) {
      got.push((await ports.allocate({ instanceId: randomUUID(), networkId: net.id, host: 'node-1' })).ip);
    }
    const expected = Array.from({ length: 14 }, (_, i) => `10.26.0.${i + 1}`).filter((ip) => ip !== '10.26.0.7');
    assert.deepEqual(
      got.sort((a, b) => ipv4ToInt(a) - ipv4ToInt(b)),
      expected,
    );
  });

  it('deallocate frees the address for the next build; a second deallocate is a no-op', async () => {
    const net = await insertNetwork(t.db, '10.25.0.0/29');
    const owners = Array.from({ length: 5 }, () => randomUUID());
    const taken = [];
    for (const instanceId of owners)
      taken.push(await ports.allocate({ instanceId, networkId: net.id, host: 'node-1' }));
    await assert.rejects(
      ports.allocate({ instanceId: randomUUID(), networkId: net.id, host: 'node-1' }),
      isNetworkExhausted,
    );

    assert.equal(await ports.deallocate(owners[2]), 1);
    assert.equal(await ports.deallocate(owners[2]), 0);
    assert.deepEqual(await rowsOf(net.id), { ports: 4, addresses: 4, portsWithoutIp: 0 });

    const next = await ports.allocate({ instanceId: randomUUID(), networkId: net.id, host: 'node-3' });
    assert.equal(next.ip, taken[2].ip);
    assert.notEqual(next.portId, taken[2].portId);
    assert.deepEqual(await rowsOf(net.id), { ports: 5, addresses: 5, portsWithoutIp: 0 });
  });

  it('deallocate of an instance that never had a port does nothing', async () => {
    assert.equal(await ports.deallocate(randomUUID()), 0);
  });

  it('setStatus marks the instance ports active', async () => {
    const net = await insertNetwork(t.db, '10.26.0.0/28');
    const instanceId = randomUUID();
    const port = await ports.allocate({ instanceId, networkId: net.id, host: 'node-1' });
    await ports.setStatus(instanceId, 'active');
    const [row] = await t.db.query(`SELECT status FROM ports WHERE id = $1`, [port.portId]);
    assert.equal(row.status, 'active');
  });
});
