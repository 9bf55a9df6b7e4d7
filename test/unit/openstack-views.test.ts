/** The OpenStack API's translators and the identity pieces that need no database. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, verifyPassword } from '../../core/identity/passwords.js';
import type { InstanceView } from '../../core/instances/instance-view.js';
import { errorBody } from '../../apps/api/openstack/common/os-errors.js';
import { toBuildRequest } from '../../apps/api/openstack/compute/server-request.js';
import { serverDetail } from '../../apps/api/openstack/compute/server-view.js';
import { novaActions } from '../../apps/api/openstack/compute/instance-actions-view.js';
import { catalog } from '../../apps/api/openstack/identity/token-view.js';
import { project } from '../../apps/api/openstack/network/neutron-views.js';

const view: InstanceView = {
  id: '5f0c1d2e-0000-4000-8000-000000000001',
  name: 'web-1',
  projectId: 'p1',
  status: 'ERROR',
  taskState: null,
  powerState: 0,
  host: null,
  flavor: 'm1.small',
  image: 'cirros',
  flavorId: 'f1',
  imageId: 'i1',
  addresses: [
    {
      network: 'default',
      ip: '10.0.0.5',
      mac: 'fa:16:3e:00:00:01',
      portId: 'x',
      segmentation: { type: 'vlan', id: 1 },
    },
  ],
  volumes: [],
  attempts: [],
  fault: { code: 'NoValidHost', message: 'no host', step: 'claim', host: null },
  createdAt: '2026-01-01T00:00:00.123Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  launchedAt: '2026-01-01T00:00:01.456Z',
};

describe('OpenStack API translators', () => {
  it('shows a server with the fields clients parse strictly', () => {
    const s = serverDetail(view, 'http://h', {
      instanceId: view.id,
      metadata: { a: 'b' },
      keyName: 'k',
      userData: null,
      userId: 'u1',
    });
    assert.equal(s.status, 'ERROR');
    assert.equal(s['OS-EXT-STS:vm_state'], 'error');
    assert.equal(s['OS-EXT-STS:power_state'], 0);
    assert.equal(s['OS-SRV-USG:launched_at'], '2026-01-01T00:00:01');
    assert.deepEqual(s.addresses, {
      default: [
        { version: 4, addr: '10.0.0.5', 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01' },
      ],
    });
    assert.equal(s.flavor.id, 'f1');
    assert.deepEqual(s.metadata, { a: 'b' });
    assert.match(s.fault!.message, /^NoValidHost: no host/);
    assert.equal(s.fault!.code, 500);
    assert.equal(s.user_id, 'u1');
  });

  it('reads Nova create bodies: network by uuid or port, a new or existing volume from block devices', async () => {
    const never = (): Promise<string> => Promise.reject(new Error('no port lookup expected'));
    const { build, extras } = await toBuildRequest(
      {
        server: {
          name: 'a',
          flavorRef: 'f',
          imageRef: 'i',
          networks: [{ uuid: 'n' }],
          metadata: { k: 'v' },
          block_device_mapping_v2: [{ source_type: 'blank', destination_type: 'volume', volume_size: 2 }],
        },
      },
      never,
    );
    assert.deepEqual(build, { name: 'a', flavor: 'f', image: 'i', network: 'n', volume: { sizeGb: 2 } });
    assert.deepEqual(extras.metadata, { k: 'v' });
    const byPort = await toBuildRequest(
      { server: { name: 'b', flavorRef: 1, imageRef: 'i', networks: [{ port: 'p' }] } },
      () => Promise.resolve('net-of-p'),
    );
    assert.equal(byPort.build.network, 'net-of-p');
    assert.equal(byPort.build.flavor, '1');
    await assert.rejects(toBuildRequest({ server: { flavorRef: 'f', imageRef: 'i' } }, never), /server.name/);
    await assert.rejects(
      toBuildRequest({ server: { name: 'c', flavorRef: 'f', imageRef: 'i', metadata: { k: 1 } } }, never),
      /metadata/,
    );
  });

  it("answers errors in each service's own shape", () => {
    assert.deepEqual(errorBody('nova', 404, 'gone'), [404, { itemNotFound: { message: 'gone', code: 404 } }]);
    assert.deepEqual(errorBody('nova', 422, 'bad'), [400, { badRequest: { message: 'bad', code: 400 } }]);
    assert.deepEqual(errorBody('neutron', 404, 'gone', 'NetworkNotFound'), [
      404,
      { NeutronError: { type: 'NetworkNotFound', message: 'gone', detail: '' } },
    ]);
    assert.deepEqual(errorBody('keystone', 401, 'no'), [
      401,
      { error: { code: 401, message: 'no', title: 'Unauthorized' } },
    ]);
  });

  it('lists every service in the catalog, the volume under both types with the project in its URL', () => {
    const c = catalog('http://h:1', 'p1', 'RegionOne');
    assert.deepEqual(
      c.map((e) => e.type),
      ['identity', 'compute', 'image', 'network', 'block-storage', 'volumev3'],
    );
    assert.equal(c[1].endpoints[0].url, 'http://h:1/compute/v2.1');
    assert.equal(c[5].endpoints[0].url, 'http://h:1/volume/v3/p1');
    assert.ok(c.every((e) => e.endpoints[0].interface === 'public' && e.endpoints[0].region === 'RegionOne'));
  });

  it('groups the action log: build steps under create, later power and attach steps as their own actions', () => {
    const row = (step: string, at: string, outcome = 'succeeded') =>
      ({
        id: `r-${step}`,
        instanceId: view.id,
        step,
        host: 'node-1',
        outcome,
        message: null,
        startedAt: new Date(at),
        finishedAt: new Date(at),
      }) as never;
    const active = { ...view, status: 'ACTIVE' as const, fault: null, launchedAt: '2026-01-01T00:00:05.000Z' };
    const actions = novaActions(
      active,
      [
        row('schedule', '2026-01-01T00:00:01Z'),
        row('attach_volume', '2026-01-01T00:00:04Z'),
        row('stop', '2026-01-01T00:00:06Z'),
        row('attach_volume', '2026-01-01T00:00:07Z'),
      ],
      'u1',
    );
    assert.deepEqual(
      actions.map((a) => a.action),
      ['attach_volume', 'stop', 'create'],
    );
    assert.deepEqual(
      actions[2].events.map((e) => e.event),
      ['compute_schedule', 'compute_attach_volume'],
    );
    assert.equal(actions[1].events[0].result, 'Success');
  });

  it("projects Neutron's fields=", () => {
    assert.deepEqual(project({ id: 1, name: 'n', status: 'ACTIVE' }, ['id', 'name']), { id: 1, name: 'n' });
    assert.deepEqual(project({ id: 1 }, []), { id: 1 });
  });

  it('hashes passwords with scrypt and a salt of their own', async () => {
    const a = await hashPassword('s3cret');
    assert.match(a, /^scrypt\$32768\$8\$1\$/);
    assert.notEqual(a, await hashPassword('s3cret'));
    assert.equal(await verifyPassword('s3cret', a), true);
    assert.equal(await verifyPassword('wrong', a), false);
    assert.equal(await verifyPassword('s3cret', 'plain'), false);
  });
});
