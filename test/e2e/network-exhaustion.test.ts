/**
 * IPAM under pressure, end to end: 300 builds on a fresh /24 (253 addresses once the
 * gateway is out) on hosts big enough for all of them. Exactly the addresses there are get
 * handed out, each once; every other build fails NetworkExhausted at allocate_port and its
 * saga gives back everything it took (no port, no address, no host capacity leaked).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { roomyHosts } from '../support/stack.js';
import { useStack } from '../support/use-stack.js';

const BUILDS = 300;
const ADDRESSES = 253; // a /24: 254 host addresses less the gateway
const POST_CONCURRENCY = 50;
const SETTLE_TIMEOUT_MS = 420_000;
const TINY = { vcpus: 1, ramMb: 512, diskGb: 1 };

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order of results. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    }),
  );
  return results;
}

describe('an exhausted network', () => {
  // The seeded hosts (3 × 8 vCPU, 16 GB) hold ~96 tiny builds: these hold all 300, so only
  // the network can run out.
  const { stack } = useStack({ env: roomyHosts(512, 1_000_000, 100_000) });

  it(`hands a /24's ${ADDRESSES} addresses to ${ADDRESSES} of ${BUILDS} builds once each; the rest fail NetworkExhausted and leak nothing`, async () => {
    const net = await stack.api('POST', '/v1/networks', {
      name: 'small',
      cidr: '10.99.0.0/24',
      segmentation: { type: 'vlan', id: 999 },
    });
    assert.equal(net.status, 201, JSON.stringify(net.body));

    const started = Date.now();
    const posted = await pool(
      Array.from({ length: BUILDS }, (_, i) => i),
      POST_CONCURRENCY,
      (i) =>
        stack.api('POST', '/v1/instances', { name: `x-${i}`, flavor: 'm1.tiny', image: 'cirros', network: 'small' }),
    );
    for (const p of posted) assert.equal(p.status, 202, JSON.stringify(p.body));
    const ids = new Set(posted.map((p) => p.body.id as string));
    const postedIn = (Date.now() - started) / 1000;

    let mine: any[];
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let reported = Date.now();
    for (;;) {
      mine = (await stack.api('GET', '/v1/instances')).body.filter((i: any) => ids.has(i.id));
      const building = mine.filter((i) => i.status === 'BUILD').length;
      if (mine.length === BUILDS && building === 0) break;
      if (Date.now() - reported > 30_000) {
        reported = Date.now();
        console.log(`${((reported - started) / 1000).toFixed(0)} s: ${BUILDS - building} of ${BUILDS} settled`);
      }
      if (Date.now() > deadline) {
        const active = mine.filter((i) => i.status === 'ACTIVE').length;
        assert.fail(
          `after ${SETTLE_TIMEOUT_MS / 1000} s, ${building} of ${BUILDS} builds are still BUILD (${active} ACTIVE)`,
        );
      }
      await sleep(3000);
    }
    const settledIn = (Date.now() - started) / 1000;
    // The figure to watch on a slow machine: how long the whole stack takes for 300 builds.
    console.log(`${BUILDS} builds posted in ${postedIn.toFixed(1)} s, all settled in ${settledIn.toFixed(1)} s`);

    const active = mine.filter((i) => i.status === 'ACTIVE');
    const failed = mine.filter((i) => i.status === 'ERROR');
    assert.equal(active.length + failed.length, BUILDS, 'every build ended ACTIVE or ERROR');
    // At most the addresses there are; and exactly that many, since a build fails here only
    // when every address is held by a port of a build that (failing nothing else) ends ACTIVE.
    assert.ok(active.length <= ADDRESSES);
    assert.equal(active.length, ADDRESSES);

    const addresses = active.map((i) => {
      assert.equal(i.addresses.length, 1, `${i.id} has one address`);
      return i.addresses[0];
    });
    assert.equal(new Set(addresses.map((a: any) => a.ip)).size, active.length, 'distinct IPs');
    assert.equal(new Set(addresses.map((a: any) => a.mac)).size, active.length, 'distinct MACs');
    for (const a of addresses) {
      assert.match(a.ip, /^10\.99\.0\.(\d+)$/);
      assert.ok(
        !['10.99.0.0', '10.99.0.1', '10.99.0.255'].includes(a.ip),
        `${a.ip}: never the network, gateway or broadcast address`,
      );
    }

    for (const i of failed) {
      assert.deepEqual(
        { code: i.fault?.code, step: i.fault?.step },
        { code: 'NetworkExhausted', step: 'allocate_port' },
        JSON.stringify(i.fault),
      );
      assert.match(i.fault.message, /network small \(10\.99\.0\.0\/24\) has no free address/);
      assert.deepEqual(i.addresses, [], 'a failed build keeps no address');
    }

    // No port or address outlives a failed build.
    const ports = (await stack.api('GET', '/v1/ports?network=small')).body;
    assert.equal(ports.length, active.length, 'one port per ACTIVE instance');
    assert.deepEqual(new Set(ports.map((p: any) => p.instanceId)), new Set(active.map((i) => i.id)));
    assert.ok(ports.every((p: any) => p.ip !== null && p.status === 'active'));
    // And no address row without its port (the API only shows addresses through ports).
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM ip_allocations WHERE network_id = $1`, [
        net.body.id,
      ]);
      assert.equal(rows[0].n, active.length, 'one address row per ACTIVE instance');
    } finally {
      await db.end();
    }

    // Compensation released the claims of the failed builds: usage is exactly the ACTIVE ones'.
    const hosts = (await stack.api('GET', '/v1/hosts')).body;
    for (const h of hosts) {
      const n = active.filter((i) => i.host === h.name).length;
      assert.deepEqual(
        [h.name, h.vcpusUsed, h.ramMbUsed, h.diskGbUsed],
        [h.name, n * TINY.vcpus, n * TINY.ramMb, n * TINY.diskGb],
        `${h.name} holds exactly its ${n} ACTIVE instances`,
      );
    }
  });
});
