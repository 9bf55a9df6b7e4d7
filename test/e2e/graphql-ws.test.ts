/**
 * GraphQL over WebSocket under the HTTP API's rules (the token in the handshake, the depth
 * limit, a maximum message size, a cap on subscriptions per connection), and subscriptions
 * that cost the database nothing while idle or once closed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import type { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../../apps/api/graphql/graphql-ws-server.js';
import { HOSTS, armFault, createInstance } from '../support/fault-cases.js';
import { connectToStackDb } from '../support/invariants.js';
import { useStack } from '../support/use-stack.js';

const UPDATES = 'subscription($id: ID!) { instanceUpdated(id: $id) { status taskState } }';

describe('GraphQL over WebSocket', () => {
  const { stack } = useStack({ env: { NIMBUS_HYPERVISOR_DELAY_MS: '0' } });
  const clients: Client[] = [];
  let db: DataSource | undefined;
  after(async () => {
    for (const c of clients) void c.dispose();
    await db?.destroy();
  });

  const wsUrl = () => stack.apiUrl.replace(/^http/, 'ws') + '/graphql';
  function client(token: string | null = stack.adminToken): Client {
    const c = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(c);
    return c;
  }

  /** The first result (or the error) of one operation on `c`. */
  function first(
    c: Client,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<{ data?: any; errors?: any; closed?: number }> {
    return new Promise((resolve) => {
      const stop = c.subscribe(
        { query, variables },
        {
          next: (value) => {
            stop();
            resolve(value);
          },
          error: (err) => resolve(Array.isArray(err) ? { errors: err } : { closed: (err as { code: number }).code }),
          complete: () => resolve({}),
        },
      );
    });
  }

  it('closes a connection without a valid token in the handshake (4403)', async () => {
    assert.equal((await first(client(null), '{ flavors { name } }')).closed, 4403);
    assert.equal((await first(client('nimbus-made-up'), '{ flavors { name } }')).closed, 4403);
    assert.equal((await first(client(), '{ flavors { name } }')).data?.flavors?.length, 5);
  });

  it('applies the depth limit before running anything', async () => {
    let nested = 'name';
    for (let i = 0; i < 10; i++) nested = `ofType { ${nested} }`;
    const res = await first(client(), `{ __type(name: "Instance") { fields { type { ${nested} } } } }`);
    assert.match(JSON.stringify(res.errors), /levels deep; the limit is 8/);
  });

  it('closes the socket on a message over 64 KiB (1009) instead of reading 100 MiB', async () => {
    const res = await first(client(), `{ flavors { name } }`, { pad: 'x'.repeat(100 * 1024) });
    assert.equal(res.closed, 1009);
  });

  it(`refuses subscription ${MAX_SUBSCRIPTIONS_PER_CONNECTION + 1} on one connection`, async () => {
    for (const host of HOSTS) await armFault(stack, host, 'spawn', 'hang', 1);
    const id = await createInstance(stack, 'ws-cap');
    const c = client();
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CONNECTION; i++) assert.ok((await first(c, UPDATES, { id })).data);
    // `first` unsubscribes after the first update; hold 20 open this time.
    const held: Array<() => void> = [];
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CONNECTION; i++)
      held.push(
        c.subscribe({ query: UPDATES, variables: { id } }, { next: () => {}, error: () => {}, complete: () => {} }),
      );
    await sleep(500);
    const refused = await first(c, UPDATES, { id });
    assert.match(JSON.stringify(refused.errors), /at most 20 subscriptions per connection/);
    held.forEach((stop) => stop());
  });

  it('keeps no query running for idle or closed subscriptions (database commits stay at the baseline)', async () => {
    db ??= await connectToStackDb(stack);
    for (const host of HOSTS) await armFault(stack, host, 'spawn', 'hang', 1);
    const id = await createInstance(stack, 'ws-idle'); // hangs in spawning: no change to push
    const commitsPerSec = async () => {
      const read = async () =>
        Number(
          (await db!.query(`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`))[0]
            .xact_commit,
        );
      await db!.query('SELECT pg_stat_clear_snapshot()');
      const before = await read();
      await sleep(3000);
      await db!.query('SELECT pg_stat_clear_snapshot()');
      return ((await read()) - before) / 3;
    };
    const c = client();
    const stops: Array<() => void> = [];
    for (let i = 0; i < 10; i++)
      stops.push(
        c.subscribe({ query: UPDATES, variables: { id } }, { next: () => {}, error: () => {}, complete: () => {} }),
      );
    await sleep(1000);
    const open = await commitsPerSec();
    stops.forEach((stop) => stop());
    await c.dispose();
    await sleep(500);
    const closed = await commitsPerSec();
    // Before: ten subscriptions polled every 100 ms, open or closed (about 300 commits/s).
    assert.ok(open < 40, `${open.toFixed(1)} commits/s with 10 idle subscriptions`);
    assert.ok(closed < 40, `${closed.toFixed(1)} commits/s after they closed`);
  });
});
