/**
 * NIMBUS_MAX_CONCURRENT_BUILDS (core/hypervisor/spawn-gate.ts): the agent never runs more
 * spawns at once than its limit, the others wait in call order, a waiting spawn whose build
 * is cancelled leaves the queue, and only spawns queue (a destroy never waits for a boot).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../core/config.js';
import { createHypervisorDriver } from '../../core/hypervisor/driver-factory.js';
import { defaultSpawnLimit, SpawnGate } from '../../core/hypervisor/spawn-gate.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

let nodeDir: string;
before(async () => {
  nodeDir = await mkdtemp(path.join(tmpdir(), 'nimbus-gate-'));
});
after(async () => {
  await rm(nodeDir, { recursive: true, force: true });
});

describe('spawn gate', () => {
  it('runs at most `limit` tasks at once and the rest in call order', async () => {
    const gate = new SpawnGate(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (n: number) => async () => {
      running += 1;
      peak = Math.max(peak, running);
      order.push(n);
      await tick(10);
      running -= 1;
      return n;
    };
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => gate.run(task(n))));
    assert.deepEqual(results, [1, 2, 3, 4, 5, 6]);
    assert.equal(peak, 2);
    assert.deepEqual(order, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(gate.load, { active: 0, waiting: 0 });
  });

  it('a waiting task whose signal aborts leaves the queue and never runs; a failed task frees its slot', async () => {
    const gate = new SpawnGate(1);
    const ran: string[] = [];
    const first = gate.run(async () => {
      await tick(20);
      throw new Error('boot failed');
    });
    const abort = new AbortController();
    const cancelled = gate.run(() => Promise.resolve(void ran.push('cancelled')), abort.signal);
    const third = gate.run(() => Promise.resolve(void ran.push('third')));
    await tick();
    assert.deepEqual(gate.load, { active: 1, waiting: 2 });
    abort.abort(new Error('build cancelled'));
    await assert.rejects(cancelled, /build cancelled/);
    assert.deepEqual(gate.load, { active: 1, waiting: 1 });
    await assert.rejects(first, /boot failed/);
    await third;
    assert.deepEqual(ran, ['third']);
  });

  it('setLimit starts waiters that now fit; defaults are 2 on TCG, else 8; the variable is validated', async () => {
    const gate = new SpawnGate(1);
    let release!: () => void;
    const holding = gate.run(() => new Promise<void>((r) => (release = r)));
    const waiting = gate.run(() => Promise.resolve('ran'));
    await tick();
    assert.equal(gate.load.waiting, 1);
    gate.setLimit(2);
    assert.equal(await waiting, 'ran');
    release();
    await holding;
    assert.throws(() => gate.setLimit(0), RangeError);
    assert.equal(defaultSpawnLimit('qemu/tcg'), 2);
    assert.equal(defaultSpawnLimit('qemu/kvm'), 8);
    assert.equal(defaultSpawnLimit('fake'), 8);
    assert.equal(loadConfig({}).maxConcurrentBuilds, undefined);
    assert.equal(loadConfig({ NIMBUS_MAX_CONCURRENT_BUILDS: '3' }).maxConcurrentBuilds, 3);
    assert.throws(() => loadConfig({ NIMBUS_MAX_CONCURRENT_BUILDS: '0' }), ConfigError);
    assert.throws(() => loadConfig({ NIMBUS_MAX_CONCURRENT_BUILDS: '1.5' }), ConfigError);
  });

  it('around a driver from the factory: only spawns queue, destroys pass', async () => {
    const spawnGate = new SpawnGate(2);
    const driver = createHypervisorDriver({ type: 'fake', nodeDir, delayMs: 40, spawnGate });
    await driver.initHost();
    const imagePath = path.join(nodeDir, 'image.raw');
    await writeFile(imagePath, 'bytes');
    const spec = (n: number) => ({
      instanceId: `00000000-0000-4000-8000-00000000000${n}`,
      name: `vm-${n}`,
      ...{ vcpus: 1, ramMb: 512, diskGb: 1, imagePath, imageSha256: 'a'.repeat(64) },
    });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, spawnGate.load.active)), 2);
    try {
      const spawns = [1, 2, 3, 4, 5].map((n) => driver.spawn(spec(n)));
      await tick(10);
      assert.deepEqual(spawnGate.load, { active: 2, waiting: 3 });
      // A destroy of another instance does not wait behind the queued boots.
      const started = Date.now();
      await driver.destroy('00000000-0000-4000-8000-000000000009');
      assert.ok(Date.now() - started < 40 * 3, 'destroy ran beside the spawns');
      await Promise.all(spawns);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(peak, 2);
    assert.equal((await driver.listDomains()).length, 5);
  });
});
