import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { createHypervisorDriver } from '../../core/hypervisor/driver-factory.js';
import { InjectedFailure, InMemoryFailureInjector, NoInjections } from '../../core/hypervisor/failure-injector.js';
import { useNodeDir } from '../support/node-dir.js';

let nodeDir: string;
let imagePath: string;

useNodeDir('nimbus-faults-', { each: false }, (node) => ({ dir: nodeDir, imagePath } = node));

const spec = (instanceId: string) => ({
  instanceId,
  name: instanceId,
  vcpus: 1,
  ramMb: 512,
  diskGb: 1,
  imagePath,
  imageSha256: 'b'.repeat(64),
});

describe("fault injection (the factory's fake driver, wrapped)", () => {
  it('an error fault fails the step `times` times, then the step works', async () => {
    const faults = new InMemoryFailureInjector([{ step: 'spawn', mode: 'error', times: 2 }]);
    const driver = createHypervisorDriver({ type: 'fake', nodeDir, faults });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(driver.spawn(spec('err-1')), (err: unknown) => {
        assert.ok(err instanceof InjectedFailure);
        assert.equal(err.code, 'InjectedFault');
        assert.equal(err.step, 'spawn');
        assert.equal(err.instanceId, 'err-1');
        return true;
      });
      assert.equal(await driver.getDomain('err-1'), null, 'a failed spawn leaves no domain');
    }
    assert.deepEqual(faults.list(), []);
    assert.equal((await driver.spawn(spec('err-1'))).state, 'running');
  });

  it('only fires on its own step', async () => {
    const faults = new InMemoryFailureInjector([{ step: 'attach_volume', mode: 'error', times: 1 }]);
    const driver = createHypervisorDriver({ type: 'fake', nodeDir, faults });
    await driver.spawn(spec('step-1'));
    await driver.destroy('step-1');
    assert.deepEqual(faults.list(), [{ step: 'attach_volume', mode: 'error', times: 1 }]);
  });

  it('a hang blocks until the caller aborts, and the step never happens', async () => {
    const faults = new InMemoryFailureInjector([{ step: 'spawn', mode: 'hang', times: 1 }]);
    const driver = createHypervisorDriver({ type: 'fake', nodeDir, faults });
    const controller = new AbortController();
    let settled = false;
    const pending = driver.spawn(spec('hang-1'), { signal: controller.signal }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, 'still hanging');
    controller.abort(new Error('start-to-close timeout'));
    await assert.rejects(pending, /start-to-close timeout/);
    assert.equal(await driver.getDomain('hang-1'), null);
    await driver.spawn(spec('hang-1')); // the fault is spent
  });

  it('a crash calls the crash callback and does not perform the step', async () => {
    let crashes = 0;
    const faults = new InMemoryFailureInjector([{ step: 'destroy', mode: 'crash', times: 1 }], {
      crash: () => void crashes++,
    });
    const driver = createHypervisorDriver({ type: 'fake', nodeDir, faults });
    await driver.spawn(spec('crash-1'));
    await assert.rejects(driver.destroy('crash-1'), InjectedFailure);
    assert.equal(crashes, 1);
    assert.ok(await driver.getDomain('crash-1'), 'the domain outlives the crashed destroy');
    await driver.destroy('crash-1');
    assert.equal(crashes, 1);
    assert.equal(await driver.getDomain('crash-1'), null);
  });

  it('a crash kills the process with 137 by default, as a SIGKILLed agent would', () => {
    const module = new URL('../../core/hypervisor/failure-injector.js', import.meta.url).href;
    const script = `
      const { InMemoryFailureInjector } = await import(${JSON.stringify(module)});
      const faults = new InMemoryFailureInjector([{ step: 'spawn', mode: 'crash', times: 1 }]);
      await faults.before('spawn', { instanceId: 'i' });
      console.log('survived');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 137);
    assert.equal(child.stdout, '');
  });

  it('counts down each fault separately and can be cleared', async () => {
    const faults = new InMemoryFailureInjector();
    faults.add({ step: 'claim', mode: 'error', times: 3 });
    faults.add({ step: 'pull_image', mode: 'error', times: 1 });
    await assert.rejects(faults.before('claim', { instanceId: 'i' }), InjectedFailure);
    assert.deepEqual(faults.list(), [
      { step: 'claim', mode: 'error', times: 2 },
      { step: 'pull_image', mode: 'error', times: 1 },
    ]);
    faults.clear('claim');
    await faults.before('claim', { instanceId: 'i' });
    faults.clear();
    await faults.before('pull_image', { instanceId: 'i' });
    await NoInjections.before('spawn', { instanceId: 'i' });
  });

  it('rejects malformed faults', () => {
    const faults = new InMemoryFailureInjector();
    assert.throws(() => faults.add({ step: 'spawn', mode: 'error', times: 0 }), RangeError);
    assert.throws(() => faults.add({ step: 'hibernate' as 'spawn', mode: 'error', times: 1 }), RangeError);
    assert.throws(() => faults.add({ step: 'spawn', mode: 'explode' as 'error', times: 1 }), RangeError);
  });
});
