/**
 * GraphQL end to end: the createInstance mutation, then every task-state change pushed by the
 * instanceUpdated subscription (graphql-ws over a WebSocket) until the build is ACTIVE; and
 * the limits that keep one query from taking the server down.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { useStack } from '../support/use-stack.js';

describe('GraphQL', () => {
  // Slow enough steps that each task state is seen.
  const { stack } = useStack({ env: { NIMBUS_HYPERVISOR_DELAY_MS: '300' } });

  const gql = async (query: string, variables: object = {}, token: string | null = stack.adminToken) => {
    const res = await stack.api('POST', '/graphql', { query, variables }, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { data?: any; errors?: Array<{ message: string; extensions?: any }> };
  };

  it('creates an instance by mutation and receives every task-state change until ACTIVE', async () => {
    const created = await gql(
      `mutation($input: CreateInstanceInput!) { createInstance(input: $input) { id status taskState } }`,
      { input: { name: 'gql-1', flavor: 'm1.tiny', image: 'cirros', network: 'default', volume: { sizeGb: 1 } } },
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const { id, status } = created.data.createInstance;
    assert.equal(status, 'BUILD');

    const client = createClient({
      url: stack.apiUrl.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${stack.adminToken}` },
      retryAttempts: 0,
    });
    const seen: Array<{ status: string; taskState: string | null; host: string | null }> = [];
    try {
      const updates = client.iterate<{
        instanceUpdated: { status: string; taskState: string | null; host: string | null };
      }>({
        query:
          'subscription($id: ID!) { instanceUpdated(id: $id) { ' +
          'status taskState host addresses { ip } volumes { status } } }',
        variables: { id },
      });
      const timer = setTimeout(() => void updates.return?.(), 60_000);
      for await (const next of updates) {
        assert.equal(next.errors, undefined, JSON.stringify(next.errors));
        seen.push(next.data!.instanceUpdated);
      }
      clearTimeout(timer);
    } finally {
      await client.dispose();
    }
    const states = seen.map((s) => s.taskState ?? s.status);
    // Every state the build went through, in order, and nothing after ACTIVE.
    const order = ['scheduling', 'pulling_image', 'spawning', 'networking', 'attaching_volume', 'ACTIVE'];
    const compact = states.filter((s, i) => s !== states[i - 1]);
    assert.deepEqual(
      compact.filter((s) => order.includes(s)),
      order.filter((s) => compact.includes(s)),
      `in order: ${compact.join(' → ')}`,
    );
    for (const s of ['pulling_image', 'spawning', 'networking', 'attaching_volume'])
      assert.ok(compact.includes(s), `saw ${s}: ${compact.join(' → ')}`);
    assert.equal(compact.at(-1), 'ACTIVE');
    assert.match(seen.at(-1)!.host ?? '', /^node-\d$/);
  });

  it('answers queries with the REST field names, and problems as error extensions', async () => {
    const res = await gql(
      '{ instances { id name status host addresses { ip mac segmentation { type id } } } ' +
        'flavors { name vcpus ramMb diskGb } hosts { name status vcpusFree } }',
    );
    assert.equal(res.errors, undefined);
    assert.equal(res.data.instances[0].addresses[0].segmentation.type, 'vlan');
    assert.equal(res.data.flavors.length, 5);
    const anonymous = await gql(`{ flavors { name } }`, {}, null);
    assert.equal(anonymous.errors?.[0]?.extensions?.status, 401);
  });

  it('refuses a query nested too deep before running it', async () => {
    let nested = 'name';
    for (let i = 0; i < 10; i++) nested = `ofType { ${nested} }`;
    const res = await stack.api('POST', '/graphql', {
      query: `{ __type(name: "Instance") { fields { type { ${nested} } } } }`,
    });
    assert.ok(res.status === 400 || res.status === 200);
    assert.match(JSON.stringify(res.body.errors), /levels deep; the limit is 8/);
    assert.equal(res.body.data, undefined);
  });

  it('answers a non-UUID id with a 400 problem, never an internal error', async () => {
    const res = await gql(`query($id: ID!) { instance(id: $id) { id } }`, { id: 'not-a-uuid' });
    assert.equal(res.errors?.[0]?.extensions?.status, 400, JSON.stringify(res.errors));
    assert.match(JSON.stringify(res.errors), /must be a UUID/);
    const del = await gql(`mutation { deleteInstance(id: "42") { id } }`);
    assert.equal(del.errors?.[0]?.extensions?.status, 400, JSON.stringify(del.errors));
  });

  it('refuses a JSON body nested 5,000 deep with 400 problem+json, over REST and GraphQL', async () => {
    // Before the depth check, class-transformer recursed into it until the stack overflowed: a 500.
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    for (const [path, body] of [
      ['/v1/instances', `{"name":"deep","flavor":"m1.tiny","image":"cirros","network":"default","metadata":${deep}}`],
      ['/graphql', `{"query":"{ flavors { name } }","variables":{"x":${deep}}}`],
    ]) {
      const res = await fetch(stack.apiUrl + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
        body,
      });
      assert.equal(res.status, 400, path);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.match(((await res.json()) as { detail: string }).detail, /deeper than 32 levels/);
    }
  });

  it('attaches an existing volume by id, with the REST rules for the volume and the idempotency key', async () => {
    const volume = await stack.api('POST', '/v1/volumes', { name: 'gql-data', sizeGb: 2 });
    assert.equal(volume.status, 201, JSON.stringify(volume.body));
    const volumeId: string = volume.body.id;
    const create = `mutation($input: CreateInstanceInput!, $key: String) {
      createInstance(input: $input, idempotencyKey: $key) { id status volumes { id } } }`;
    const input = (v: object) => ({
      name: 'gql-vol',
      flavor: 'm1.tiny',
      image: 'cirros',
      network: 'default',
      volume: v,
    });

    // The same refusals as POST /v1/instances, each with the field at fault.
    for (const [v, field] of [
      [{ id: volumeId, sizeGb: 1 }, 'volume.id'],
      [{}, 'volume.sizeGb'],
      [{ id: 'vol-1' }, 'volume.id'],
    ] as const) {
      const refused = await gql(create, { input: input(v) });
      assert.equal(refused.errors?.[0]?.extensions?.status, 400, JSON.stringify(refused));
      assert.ok(
        refused.errors[0].extensions.errors.some((e: any) => e.field === field),
        JSON.stringify(refused),
      );
    }
    const badKey = await gql(create, { input: input({ id: volumeId }), key: 'has spaces' });
    assert.equal(badKey.errors?.[0]?.extensions?.status, 400, JSON.stringify(badKey));

    const created = await gql(create, { input: input({ id: volumeId }), key: 'gql-vol-1' });
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const { id } = created.data.createInstance;
    const again = await gql(create, { input: input({ id: volumeId }), key: 'gql-vol-1' });
    assert.equal(again.data?.createInstance?.id, id, 'the same key and input answer with the same instance');

    const active = await stack.waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/instances/${id}`);
        return body.status === 'BUILD' ? null : body;
      },
      60_000,
      `instance ${id} settled`,
    );
    assert.equal(active.status, 'ACTIVE', JSON.stringify(active.fault));
    assert.deepEqual(
      active.volumes.map((v: any) => [v.id, v.sizeGb, v.status, v.deleteOnTermination]),
      [[volumeId, 2, 'in-use', false]],
    );
    const deleted = await gql(`mutation($id: ID!) { deleteInstance(id: $id) { id } }`, { id });
    assert.equal(deleted.errors, undefined, JSON.stringify(deleted.errors));
    const kept = await stack.waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/volumes/${volumeId}`);
        return body.status === 'available' ? body : null;
      },
      60_000,
      `volume ${volumeId} available again`,
    );
    assert.deepEqual([kept.instanceId, kept.name], [null, 'gql-data'], 'the volume outlives its instance');
  });
});
