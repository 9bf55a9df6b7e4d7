/**
 * Networks and IPAM end to end on the real stack: the admin creates networks (and bad ones
 * are refused with the field at fault or the network they clash with), 50 builds started at
 * once on one network get 50 distinct addresses and MACs with their VIFs plugged on the
 * hosts, a network in use cannot be deleted, and deleting the instances frees every port.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { nodeDir } from '../../core/config.js';
import { roomyHosts } from '../support/stack.js';
import { useStack } from '../support/use-stack.js';
import { createProject } from '../support/projects.js';

/** "ACTIVE: 40, BUILD/spawning: 10": where a batch of builds stands. */
function tally(instances: Array<{ status: string; taskState: string | null }>): string {
  const counts = new Map<string, number>();
  for (const i of instances) {
    const key = i.taskState ? `${i.status}/${i.taskState}` : i.status;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}: ${n}`).join(', ');
}

describe('networks and IPAM through the API', () => {
  // Hosts with room for every build: what is under test is the network, not the scheduler.
  const { stack } = useStack({ env: roomyHosts(64, 65536, 1000) });

  async function networkCount(): Promise<number> {
    return (await stack.api('GET', '/v1/networks')).body.length;
  }

  it('creates a network as asked and refuses bad or clashing ones, writing nothing', async () => {
    const blue = {
      name: 'blue',
      cidr: '10.40.0.0/24',
      gateway: '10.40.0.254',
      allocationStart: '10.40.0.10',
      allocationEnd: '10.40.0.99',
      dnsServers: ['192.0.2.53', '2001:db8::53'],
      segmentation: { type: 'vlan', id: 400 },
    };
    const created = await stack.api('POST', '/v1/networks', blue);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('location'), `/v1/networks/${created.body.id}`);
    const { id, createdAt, ...rest } = created.body;
    assert.deepEqual(rest, blue);
    assert.equal((await stack.api('GET', `/v1/networks/${id}`)).body.name, 'blue');
    assert.equal((await stack.api('GET', '/v1/networks/blue')).body.id, id);
    const flat = await stack.api('POST', '/v1/networks', {
      name: 'flat-1',
      cidr: '192.168.50.0/29',
      segmentation: { type: 'flat' },
    });
    assert.equal(flat.status, 201, JSON.stringify(flat.body));
    assert.deepEqual(
      [flat.body.gateway, flat.body.allocationStart, flat.body.allocationEnd, flat.body.segmentation],
      ['192.168.50.1', '192.168.50.1', '192.168.50.6', { type: 'flat', id: null }],
    );

    const count = await networkCount();
    const base = { cidr: '10.41.0.0/24', segmentation: { type: 'vlan', id: 410 } };
    const cases: Array<[string, Record<string, unknown>, number, string, string | RegExp]> = [
      ['not a CIDR', { cidr: '10.41.0.0/33' }, 422, 'validation-failed', 'cidr'],
      ['host bits set', { cidr: '10.41.0.7/24' }, 422, 'validation-failed', 'cidr'],
      ['IPv6', { cidr: 'fd00::/64' }, 422, 'validation-failed', 'cidr'],
      ['range outside the CIDR', { allocationEnd: '10.42.0.5' }, 422, 'validation-failed', 'allocationEnd'],
      [
        'range backwards',
        { allocationStart: '10.41.0.50', allocationEnd: '10.41.0.40' },
        422,
        'validation-failed',
        'allocationStart',
      ],
      ['gateway outside', { gateway: '10.41.1.1' }, 422, 'validation-failed', 'gateway'],
      ['VLAN id 0', { segmentation: { type: 'vlan', id: 0 } }, 422, 'validation-failed', 'segmentation.id'],
      ['VLAN id 4095', { segmentation: { type: 'vlan', id: 4095 } }, 422, 'validation-failed', 'segmentation.id'],
      ['VNI too big', { segmentation: { type: 'vxlan', id: 16_777_216 } }, 422, 'validation-failed', 'segmentation.id'],
      ['VXLAN without VNI', { segmentation: { type: 'vxlan' } }, 422, 'validation-failed', 'segmentation.id'],
      ['flat with an id', { segmentation: { type: 'flat', id: 3 } }, 422, 'validation-failed', 'segmentation.id'],
      ['unknown segmentation', { segmentation: { type: 'gre', id: 3 } }, 400, 'validation-failed', 'segmentation.type'],
      ['DNS not an address', { dnsServers: ['resolver.example'] }, 422, 'validation-failed', 'dnsServers'],
      [
        'six DNS servers',
        { dnsServers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', '1.1.1.5', '1.1.1.6'] },
        422,
        'validation-failed',
        'dnsServers',
      ],
      ['overlap', { cidr: '10.40.0.128/25' }, 409, 'network-overlap', /overlaps network blue \(10\.40\.0\.0\/24\)/],
      ['overlap with default', { cidr: '10.0.0.0/16' }, 409, 'network-overlap', /overlaps network default/],
      [
        'VLAN id taken',
        { segmentation: { type: 'vlan', id: 400 } },
        409,
        'segmentation-id-in-use',
        /vlan 400 is already used by network blue/,
      ],
      ['name taken', { name: 'blue' }, 409, 'network-name-in-use', /a network named blue exists/],
    ];
    for (const [what, change, status, type, where] of cases) {
      const res = await stack.api('POST', '/v1/networks', { name: 'red', ...base, ...change });
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
      assert.equal(res.body.type, `urn:nimbus:problem:${type}`, what);
      if (typeof where === 'string')
        assert.ok(
          res.body.errors.some((e: any) => e.field === where),
          `${what} names ${where}: ${JSON.stringify(res.body)}`,
        );
      else assert.match(res.body.detail, where, what);
    }
    assert.equal(await networkCount(), count, 'no network was created');

    const user = await createProject(stack, 'net-user');
    assert.equal(
      (await stack.api('POST', '/v1/networks', { name: 'red', ...base }, { token: user.token })).status,
      403,
    );
    assert.equal(
      (await stack.api('GET', '/v1/networks', undefined, { token: user.token })).status,
      200,
      'every project reads networks',
    );
    assert.equal((await stack.api('DELETE', '/v1/networks/flat-1', undefined, { token: user.token })).status, 403);
    assert.equal((await stack.api('DELETE', '/v1/networks/flat-1')).status, 204);
    assert.equal((await stack.api('GET', '/v1/networks/flat-1')).status, 404);
    assert.equal((await stack.api('DELETE', '/v1/networks/flat-1')).status, 404);
  });

  it('gives 50 builds started at once 50 distinct IPs and MACs, plugs their VIFs, and frees every port on delete', async () => {
    const net = await stack.api('POST', '/v1/networks', {
      name: 'green',
      cidr: '10.50.0.0/24',
      segmentation: { type: 'vxlan', id: 5050 },
    });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    const posted = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        stack.api('POST', '/v1/instances', { name: `g-${i}`, flavor: 'm1.tiny', image: 'cirros', network: 'green' }),
      ),
    );
    for (const p of posted) assert.equal(p.status, 202, JSON.stringify(p.body));
    const ids = posted.map((p) => p.body.id as string);

    let states = '';
    const started = Date.now();
    const active = await stack
      .waitFor(
        async () => {
          const mine = (await stack.api('GET', '/v1/instances')).body.filter((i: any) => ids.includes(i.id));
          states = tally(mine);
          assert.deepEqual(
            mine.filter((i: any) => i.status === 'ERROR').map((i: any) => i.fault),
            [],
            'no build failed',
          );
          return mine.filter((i: any) => i.status === 'ACTIVE').length === 50 ? mine : null;
        },
        180_000,
        '50 ACTIVE instances',
      )
      .catch((err) => assert.fail(`${err.message}; builds: ${states}`));
    console.log(`50 builds ACTIVE in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const addresses = active.map((i: any) => {
      assert.equal(i.addresses.length, 1);
      return { ...i.addresses[0], host: i.host, instanceId: i.id };
    });
    assert.equal(new Set(addresses.map((a: any) => a.ip)).size, 50, 'distinct IPs');
    assert.equal(new Set(addresses.map((a: any) => a.mac)).size, 50, 'distinct MACs');
    for (const a of addresses) {
      assert.match(a.ip, /^10\.50\.0\.\d+$/);
      assert.ok(
        !['10.50.0.0', '10.50.0.1', '10.50.0.255'].includes(a.ip),
        `${a.ip}: never the network, gateway or broadcast address`,
      );
      assert.match(a.mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.deepEqual(a.segmentation, { type: 'vxlan', id: 5050 });
    }

    // Ports: one per instance, bound to its host, active once the VIF is plugged.
    const ports = (await stack.api('GET', '/v1/ports?network=green')).body;
    assert.equal(ports.length, 50);
    for (const a of addresses) {
      const port = ports.find((p: any) => p.instanceId === a.instanceId);
      assert.deepEqual(
        [port.ip, port.mac, port.host, port.status, port.networkName],
        [a.ip, a.mac, a.host, 'active', 'green'],
      );
      assert.equal(port.deviceName, `tap${port.id.slice(0, 11)}`);
    }
    assert.deepEqual(
      (await stack.api('GET', `/v1/ports?instance=${addresses[0].instanceId}`)).body.map((p: any) => p.ip),
      [addresses[0].ip],
    );
    assert.equal((await stack.api('GET', '/v1/ports?instance=nope')).status, 400);

    // The fake hypervisor's domain on the host holds the VIF: its tap on the network's bridge (brq + network id).
    const sample = addresses[7];
    const domain = JSON.parse(
      await readFile(path.join(nodeDir(stack.config, sample.host), 'domains', `${sample.instanceId}.json`), 'utf8'),
    );
    const samplePort = ports.find((p: any) => p.instanceId === sample.instanceId);
    assert.deepEqual(
      domain.vifs.map((v: any) => [v.portId, v.ip, v.mac, v.tapDevice, v.bridge]),
      [[samplePort.id, sample.ip, sample.mac, samplePort.deviceName, `brq${samplePort.networkId.slice(0, 11)}`]],
    );

    const inUse = await stack.api('DELETE', '/v1/networks/green');
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.type, 'urn:nimbus:problem:network-in-use');
    assert.match(inUse.body.detail, /in use by 50 port\(s\)/);

    for (const id of ids) assert.equal((await stack.api('DELETE', `/v1/instances/${id}`)).status, 202);
    await stack.waitFor(
      async () => {
        const deleted = (await stack.api('GET', '/v1/instances?status=DELETED')).body.filter((i: any) =>
          ids.includes(i.id),
        );
        return deleted.length === 50;
      },
      180_000,
      '50 DELETED instances',
    );
    assert.deepEqual((await stack.api('GET', '/v1/ports?network=green')).body, [], 'every port and address freed');
    const hosts = (await stack.api('GET', '/v1/hosts')).body;
    assert.deepEqual(
      hosts.map((h: any) => [h.name, h.vcpusUsed, h.ramMbUsed]),
      hosts.map((h: any) => [h.name, 0, 0]),
    );
    assert.equal((await stack.api('DELETE', '/v1/networks/green')).status, 204);
  });
});
