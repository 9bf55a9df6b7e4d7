/**
 * The devstack's child processes: pid files that tell a running process from a stale
 * one, and the Supervisor that starts, restarts and stops the stack's children. Finding
 * the Temporal CLI, ports and the apps' environment: devstack.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { inspectPidFile, isProcessAlive, stopLeftover, writePidFile } from '../../devstack/processes.js';
import { Supervisor } from '../../devstack/supervisor.js';
import { useTempDir } from '../support/temp-dir.js';

const silent = pino({ level: 'silent' });
let dir: string;
useTempDir('nimbus-devstack-', (made) => (dir = made));

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
