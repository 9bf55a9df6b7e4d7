/**
 * Power with the QEMU driver, through the API (one compute agent, NIMBUS_RECONCILE_INTERVAL=2):
 * a build reaches ACTIVE and its console (GET /v1/instances/{id}/console) shows the guest's
 * marker; `kill -9` of its QEMU (the pid from the instance's pidfile) makes the instance
 * SHUTOFF within the reconciliation interval (power-state sync); `start` boots the same
 * overlay again to ACTIVE; `stop` quits QEMU and keeps the disk. One guest at a time.
 * Without qemu-system-x86_64 this skips, except under CI=true where it fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GUEST_READY_MARKER } from '../../core/hypervisor/guest-image/guest-init.js';
import { InstanceFiles } from '../../core/hypervisor/qemu/instance-files.js';
import { findQemuByUuid } from '../../core/hypervisor/qemu/qemu-process.js';
import { uploadGuestImage } from '../support/qemu-guests.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const skip = !hasQemu && process.env.CI !== 'true' ? 'qemu-system-x86_64 is not installed' : false;
const RECONCILE_SEC = 2;

describe('power of a real guest: kill -9, SHUTOFF, start, stop', { skip }, () => {
  let stack: TestStack;
  /** QEMU outlives the agent (-daemonize): whatever failed, after() kills the guests this test made. */
  const guests: string[] = [];

  before(async () => {
    assert.ok(hasQemu, 'CI=true: the real-VM tests need qemu-system-x86_64 (.ci/run installs it)');
    stack = await startTestStack({
      agents: ['node-1'],
      env: { NIMBUS_HYPERVISOR: 'qemu', NIMBUS_RECONCILE_INTERVAL: String(RECONCILE_SEC) },
    });
  });

  after(async () => {
    for (const id of guests) {
      const pid = await findQemuByUuid(id);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    await stack?.stop();
  });

  const show = async (id: string) => (await stack.api('GET', `/v1/instances/${id}`)).body;
  const until = (id: string, status: string, timeoutMs: number) =>
    stack.waitFor(
      async () => {
        const got = await show(id);
        assert.notEqual(got.status, 'ERROR', JSON.stringify(got.fault));
        return got.status === status && got.taskState === null ? got : null;
      },
      timeoutMs,
      `${id} ${status}`,
    );
  /** The marker through the API's console, i.e. through the host's queue. */
  const markerOnConsole = (id: string) =>
    stack.waitFor(
      async () => {
        const res = await stack.api('GET', `/v1/instances/${id}/console?lines=200`);
        return res.status === 200 && res.body.output.includes(`${GUEST_READY_MARKER} instance=${id}`);
      },
      120_000,
      'the guest marker on the console',
    );

  it('a killed QEMU shows SHUTOFF within the reconciliation interval, and start brings it back', async () => {
    const hosts = await stack.api('GET', '/v1/hosts');
    assert.match(hosts.body[0].hypervisorType, /^qemu\/(tcg|kvm)$/);

    await uploadGuestImage(stack, 'nimbus-guest');

    const body = { name: 'vm-power', flavor: 'm1.tiny', image: 'nimbus-guest', network: 'default' };
    const res = await stack.api('POST', '/v1/instances', body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id: string = res.body.id;
    guests.push(id);
    const active = await until(id, 'ACTIVE', 180_000);
    assert.equal(active.powerState, 1);
    await markerOnConsole(id);

    const files = new InstanceFiles(path.join(stack.dataDir, 'nodes', 'node-1'));
    const pid = Number((await readFile(files.pidfile(id), 'utf8')).trim());
    assert.ok(pid > 0 && pid === (await findQemuByUuid(id)), 'the pidfile names the guest QEMU');
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const shutoff = await until(id, 'SHUTOFF', RECONCILE_SEC * 1000 + 10_000);
    const syncMs = Date.now() - killedAt;
    assert.equal(shutoff.powerState, 4);
    assert.ok(syncMs <= RECONCILE_SEC * 1000 + 5_000, `SHUTOFF after ${syncMs} ms`);
    assert.ok(await stat(files.overlay(id)), 'the overlay is kept for start');

    const startedAt = Date.now();
    const start = await stack.api('POST', `/v1/instances/${id}/actions`, { action: 'start' });
    assert.equal(start.status, 202, JSON.stringify(start.body));
    assert.equal(start.body.taskState, 'powering-on');
    const back = await until(id, 'ACTIVE', 120_000);
    const startMs = Date.now() - startedAt;
    assert.equal(back.powerState, 1);
    const newPid = await findQemuByUuid(id);
    assert.ok(newPid && newPid !== pid, 'a new QEMU process on the same instance');
    await markerOnConsole(id);

    const stopAt = Date.now();
    assert.equal((await stack.api('POST', `/v1/instances/${id}/actions`, { action: 'stop' })).status, 202);
    const stopped = await until(id, 'SHUTOFF', 60_000);
    const stopMs = Date.now() - stopAt;
    assert.equal(stopped.powerState, 4);
    assert.equal(await findQemuByUuid(id), null, 'stop leaves no QEMU process');
    assert.ok(await stat(files.overlay(id)), 'stop keeps the overlay');
    console.log(`# kill -9 -> SHUTOFF ${syncMs} ms, start -> ACTIVE ${startMs} ms, stop -> SHUTOFF ${stopMs} ms`);

    assert.equal((await stack.api('DELETE', `/v1/instances/${id}`)).status, 202);
    await stack.waitFor(async () => (await show(id)).status === 'DELETED', 60_000, 'DELETED');
    assert.equal(await stat(files.dir(id)).catch(() => null), null, 'a deleted SHUTOFF instance leaves nothing');
  });
});
