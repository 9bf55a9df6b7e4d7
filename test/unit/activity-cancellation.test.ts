/**
 * How host activities behave when the build is cancelled (DELETE during a build): a step that
 * hangs ends as soon as the cancellation arrives through its heartbeats, and leaves nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createComputeActivities, type ComputeDeps } from '../../activities/compute.js';
import { createHypervisorDriver } from '../../core/hypervisor/driver-factory.js';
import { InMemoryFailureInjector } from '../../core/hypervisor/failure-injector.js';
import { NodeImageCache } from '../../core/images/node-cache.js';

const nodeDir = mkdtempSync(path.join(os.tmpdir(), 'nimbus-cancel-'));
const sha = 'a'.repeat(64);
const flavor = { id: 'f', name: 'm1.tiny', vcpus: 1, ramMb: 512, diskGb: 1 };
const image = { id: 'i', name: 'cirros', sha256: sha, sizeBytes: 1 };

function compute(faults: InMemoryFailureInjector) {
  const driver = createHypervisorDriver({ type: 'fake', nodeDir, delayMs: 0, faults });
  const images = new NodeImageCache({ nodeDir, baseUrl: 'http://127.0.0.1:9', token: 't' });
  // spawnDomain and destroyDomain only reach the driver and the image cache.
  const deps = { host: 'node-1', driver, images, faults } as unknown as ComputeDeps;
  return { activities: createComputeActivities(deps), driver };
}

describe('host activities under cancellation', () => {
  after(() => rmSync(nodeDir, { recursive: true, force: true }));

  it('a hung spawn ends with CancelledFailure when cancelled, and no domain exists', async () => {
    const { activities, driver } = compute(new InMemoryFailureInjector([{ step: 'spawn', mode: 'hang', times: 1 }]));
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    const run = env.run(activities.spawnDomain.bind(activities), {
      instanceId: 'inst-1',
      name: 'web-1',
      flavor,
      image,
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(beats.length >= 1, 'the step heartbeats while it runs, which is how a cancellation reaches it');
    const started = Date.now();
    env.cancel();
    await assert.rejects(run, (err: unknown) => err instanceof CancelledFailure);
    assert.ok(Date.now() - started < 1000, 'the hang ends at once, not at a timeout');
    assert.equal(await driver.getDomain('inst-1'), null);
  });

  it('a cancelled destroy can run again to completion (undos are retried until they succeed)', async () => {
    const { activities, driver } = compute(new InMemoryFailureInjector([{ step: 'destroy', mode: 'hang', times: 1 }]));
    writeFileSync(path.join(nodeDir, 'disk.img'), 'bytes');
    await driver.spawn({
      instanceId: 'inst-2',
      name: 'web-2',
      vcpus: 1,
      ramMb: 512,
      diskGb: 1,
      imagePath: path.join(nodeDir, 'disk.img'),
      imageSha256: sha,
    });
    assert.equal((await driver.getDomain('inst-2'))?.state, 'running');
    const env = new MockActivityEnvironment();
    const first = env.run(activities.destroyDomain.bind(activities), { instanceId: 'inst-2' });
    await new Promise((r) => setTimeout(r, 50));
    env.cancel();
    await assert.rejects(first, (err: unknown) => err instanceof CancelledFailure);
    await new MockActivityEnvironment().run(activities.destroyDomain.bind(activities), { instanceId: 'inst-2' });
    assert.equal(await driver.getDomain('inst-2'), null);
  });
});
