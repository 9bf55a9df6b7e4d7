/**
 * A build through the API with the QEMU driver (NIMBUS_HYPERVISOR=qemu, one compute agent):
 * the guest image is uploaded through the image API like any image, the agent pulls it
 * into its node cache and boots it; ACTIVE means a QEMU process with the instance's -uuid
 * whose root disk is an overlay of the cached file, and the console shows the guest's
 * marker with the instance id. DELETE leaves no QEMU process, overlay or pidfile.
 * Without qemu-system-x86_64 this skips, except under CI=true where it fails.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GUEST_READY_MARKER } from '../../core/hypervisor/guest-image/guest-init.js';
import { findQemuByUuid } from '../../core/hypervisor/qemu/qemu-process.js';
import { uploadGuestImage } from '../support/qemu-guests.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const skip = !hasQemu && process.env.CI !== 'true' ? 'qemu-system-x86_64 is not installed' : false;

describe('a build through the API boots a real guest', { skip }, () => {
  let stack: TestStack;
  /** The guests this test made: QEMU outlives the agent (-daemonize), so a failed test kills them itself. */
  const guests: string[] = [];

  before(async () => {
    assert.ok(hasQemu, 'CI=true: the real-VM tests need qemu-system-x86_64 (.ci/run installs it)');
    stack = await startTestStack({ agents: ['node-1'], env: { NIMBUS_HYPERVISOR: 'qemu' } });
  });

  after(async () => {
    for (const id of guests) {
      const pid = await findQemuByUuid(id);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    await stack?.stop();
  });

  it('reaches ACTIVE with QEMU over the cached image, shows the marker, and DELETE leaves nothing', async () => {
    await uploadGuestImage(stack, 'nimbus-guest');

    const started = Date.now();
    // With a volume, as in the README's walk-through: exported by the storage node's tgtd, attached as vdb over iSCSI.
    const body = { name: 'vm-1', flavor: 'm1.tiny', image: 'nimbus-guest', network: 'default', volume: { sizeGb: 1 } };
    const res = await stack.api('POST', '/v1/instances', body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id: string = res.body.id;
    guests.push(id);
    const active = await stack.waitFor(
      async () => {
        const { body: got } = await stack.api('GET', `/v1/instances/${id}`);
        assert.notEqual(got.status, 'ERROR', JSON.stringify(got.fault));
        return got.status === 'ACTIVE' ? got : null;
      },
      180_000,
      'ACTIVE',
    );
    const activeMs = Date.now() - started;
    assert.equal(active.host, 'node-1');
    assert.deepEqual(
      active.volumes.map((v: { status: string; device: string }) => [v.status, v.device]),
      [['in-use', 'vdb']],
    );
    const pid = await findQemuByUuid(id);
    assert.ok(pid, 'a QEMU process with -uuid <instance id>');

    const instanceDir = path.join(stack.dataDir, 'nodes', 'node-1', 'qemu', 'instances', id);
    const overlay = path.join(instanceDir, 'disk.qcow2');
    const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', overlay], { encoding: 'utf8' }));
    const nodeCache = path.join(stack.dataDir, 'nodes', 'node-1', 'images');
    assert.ok(String(info['backing-filename']).startsWith(nodeCache), `${info['backing-filename']} in the node cache`);

    const marker = `${GUEST_READY_MARKER} instance=${id}`;
    await stack.waitFor(
      async () => (await readFile(path.join(instanceDir, 'console.log'), 'utf8').catch(() => '')).includes(marker),
      120_000,
      'the guest marker on the console',
    );
    console.log(`# POST -> ACTIVE ${activeMs} ms, POST -> guest marker ${Date.now() - started} ms`);

    const deleted = await stack.api('DELETE', `/v1/instances/${id}`);
    assert.equal(deleted.status, 202);
    await stack.waitFor(
      async () => (await stack.api('GET', `/v1/instances/${id}`)).body.status === 'DELETED',
      60_000,
      'DELETED',
    );
    assert.equal(await findQemuByUuid(id), null, 'no QEMU process left');
    assert.equal(await stat(instanceDir).catch(() => null), null, 'no overlay, pidfile or console left');
  });
});
