import { after, before } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { connectToStackDb } from './invariants.js';
import { lateBound } from './late-bound.js';
import { startTestStack, type TestStack, type TestStackOptions } from './stack.js';

export interface UseStackOptions extends TestStackOptions {
  /** Also open a connection to the stack's database (`db`), as the invariant checker does. */
  db?: boolean;
  /** Also connect a Temporal client to the stack's server and namespace (`client`). */
  client?: boolean;
}

export interface UsedStack {
  stack: TestStack;
  /** Only with `{ db: true }`. */
  db: DataSource;
  /** Only with `{ client: true }`. */
  client: Client;
  /** Only with `{ client: true }`: the client's connection. */
  connection: Connection;
}

/**
 * The real stack (test/support/stack.ts) for the tests of this file or `describe` block:
 * started in a `before` hook, stopped in an `after` hook, connections closed first. The
 * options may be a function, called when the stack starts, for values known only then.
 * Further setup goes in a `before` after this call: hooks run in the order they are declared.
 */
export function useStack(options: UseStackOptions | (() => Promise<UseStackOptions>) = {}): UsedStack {
  let stack: TestStack | undefined;
  let db: DataSource | undefined;
  let client: Client | undefined;
  let connection: Connection | undefined;
  before(async () => {
    const {
      db: withDb,
      client: withClient,
      ...stackOptions
    } = typeof options === 'function' ? await options() : options;
    stack = await startTestStack(stackOptions);
    if (withDb) db = await connectToStackDb(stack);
    if (withClient) {
      connection = await Connection.connect({ address: stack.temporalAddress });
      client = new Client({ connection, namespace: stack.temporalNamespace });
    }
  });
  after(async () => {
    await connection?.close();
    await db?.destroy();
    await stack?.stop();
  });
  return {
    stack: lateBound('the test stack', () => stack),
    db: lateBound('the stack database connection (useStack({ db: true }))', () => db),
    client: lateBound('the Temporal client (useStack({ client: true }))', () => client),
    connection: lateBound('the Temporal connection (useStack({ client: true }))', () => connection),
  };
}
