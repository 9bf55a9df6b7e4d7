import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FAULTS_FILE, HostFaultStore } from '../../core/failure-injection/host-fault-store.js';
import { InjectedFailure, type FailureInjection } from '../../core/hypervisor/failure-injector.js';
import { useTempDir } from '../support/temp-dir.js';

let root = '';
useTempDir('nimbus-host-faults-', (dir) => (root = dir));

let hosts = 0;
/** A fresh node directory per test: each host keeps its own faults. */
const nodeDir = () => path.join(root, `node-${++hosts}`);
const noCrash = () => assert.fail('no crash expected');
const ARMED_AT = new Date('2026-11-30T12:00:00.000Z');
const store = (dir: string, crash: () => void = noCrash) =>
  new HostFaultStore(path.join(dir, FAULTS_FILE), crash, () => ARMED_AT);
const counts = async (s: HostFaultStore) => (await s.list()).map((f) => [f.step, f.mode, f.times]);

describe('HostFaultStore (a host’s faults in its node directory)', () => {
  it('a fault armed for 2 times fires exactly twice under 10 concurrent takes, and shows 0 left', async () => {
    const faults = store(nodeDir());
    await faults.arm({ step: 'spawn', mode: 'error', times: 2 });
    const taken = await Promise.all(Array.from({ length: 10 }, () => faults.take('spawn')));
    assert.deepEqual(
      taken.filter((m) => m !== null),
      ['error', 'error'],
    );
    assert.equal(await faults.take('spawn'), null);
    assert.deepEqual(await counts(faults), [['spawn', 'error', 0]]);
  });

  it('concurrent steps through the injector: `times: 1` fails exactly one of them', async () => {
    const faults = store(nodeDir());
    await faults.arm({ step: 'attach_volume', mode: 'error', times: 1 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => faults.before('attach_volume', { instanceId: `i-${i}` })),
    );
    const failed = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(failed.length, 1);
    assert.ok(failed[0].reason instanceof InjectedFailure);
  });

  it('persists every change: a store reloaded from the directory sees the remaining count', async () => {
    const dir = nodeDir();
    const first = store(dir);
    await first.arm({ step: 'spawn', mode: 'error', times: 3 });
    await first.arm({ step: 'claim', mode: 'hang', times: 1 });
    assert.equal(await first.take('spawn'), 'error');
    const reloaded = store(dir);
    assert.deepEqual(await counts(reloaded), [
      ['claim', 'hang', 1],
      ['spawn', 'error', 2],
    ]);
    assert.equal(await reloaded.take('spawn'), 'error');
    assert.deepEqual(await counts(store(dir)), [
      ['claim', 'hang', 1],
      ['spawn', 'error', 1],
    ]);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f !== FAULTS_FILE),
      [],
      'no temp file left behind',
    );
  });

  it('a crash is persisted as fired before the process dies: the restarted agent does not crash again', async () => {
    const dir = nodeDir();
    await store(dir).arm({ step: 'pull_image', mode: 'crash', times: 1 });
    const module = new URL('../../core/failure-injection/host-fault-store.js', import.meta.url).href;
    // The real crash: the default exitProcess, as a SIGKILLed agent (137).
    const script = `
      const { HostFaultStore } = await import(${JSON.stringify(module)});
      await HostFaultStore.inNodeDir(${JSON.stringify(dir)}).before('pull_image', { instanceId: 'i' });
      console.log('survived');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 137, child.stderr);
    assert.equal(child.stdout, '');
    const restarted = store(dir);
    assert.deepEqual(await counts(restarted), [['pull_image', 'crash', 0]]);
    await restarted.before('pull_image', { instanceId: 'i' });
  });

  it('a crash whose hook returns (the simulated fleet stops one host) still fails the step, once', async () => {
    let crashes = 0;
    const faults = store(nodeDir(), () => void crashes++);
    await faults.arm({ step: 'destroy', mode: 'crash', times: 1 });
    await assert.rejects(faults.before('destroy', { instanceId: 'i' }), InjectedFailure);
    await faults.before('destroy', { instanceId: 'i' });
    assert.equal(crashes, 1);
  });

  it('fires only for its step, and each host only for its own directory', async () => {
    const faults = store(nodeDir());
    await faults.arm({ step: 'plug_vif', mode: 'hang', times: 1 });
    assert.equal(await faults.take('spawn'), null);
    assert.equal(await store(nodeDir()).take('plug_vif'), null);
    assert.equal(await faults.take('plug_vif'), 'hang');
  });

  it('arming a step again replaces mode and count; clear disarms all, also across a reload', async () => {
    const dir = nodeDir();
    const faults = store(dir);
    await faults.arm({ step: 'claim', mode: 'error', times: 5 });
    assert.deepEqual(await faults.arm({ step: 'claim', mode: 'crash', times: 1 }), [
      { step: 'claim', mode: 'crash', times: 1, armedAt: ARMED_AT.toISOString() },
    ]);
    assert.deepEqual(await faults.clear(), []);
    assert.deepEqual(await store(dir).list(), []);
    assert.equal(await faults.take('claim'), null);
  });

  it('refuses a fault with an unknown step or mode or a bad count, storing nothing', async () => {
    const faults = store(nodeDir());
    const bad: Array<{ step: string; mode: string; times: number }> = [
      { step: 'hibernate', mode: 'error', times: 1 },
      { step: 'spawn', mode: 'explode', times: 1 },
      { step: 'spawn', mode: 'error', times: 0 },
      { step: 'spawn', mode: 'error', times: 1.5 },
    ];
    for (const f of bad) await assert.rejects(faults.arm(f as unknown as FailureInjection), RangeError);
    assert.deepEqual(await faults.list(), []);
  });

  it('a hang holds the step until the caller aborts, without holding the store', async () => {
    const faults = store(nodeDir());
    await faults.arm({ step: 'attach_volume', mode: 'hang', times: 1 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    const pending = faults.before('attach_volume', { instanceId: 'i-3', signal: controller.signal });
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false);
    assert.deepEqual(await counts(faults), [['attach_volume', 'hang', 0]], 'the store still answers');
    controller.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
  });

  it('a damaged file is refused by name, and clearing the faults repairs it', async () => {
    const dir = nodeDir();
    await store(dir).arm({ step: 'spawn', mode: 'error', times: 1 });
    await writeFile(path.join(dir, FAULTS_FILE), '[{"step":"spawn"');
    const faults = store(dir);
    await assert.rejects(faults.before('spawn', { instanceId: 'i' }), /faults\.json is not a list of armed faults/);
    await faults.clear();
    await faults.before('spawn', { instanceId: 'i' });
    assert.equal(await readFile(path.join(dir, FAULTS_FILE), 'utf8'), '[]\n');
  });
});
