/**
 * The wrappers every hypervisor driver gets (core/hypervisor/locked.ts, with-faults.ts),
 * shown around a tiny stub driver: they do not depend on the fake driver's internals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Domain, HypervisorDriver, OperationOptions, VifSpec } from '../../core/hypervisor/driver.js';
import { InjectedFailure, InMemoryFailureInjector } from '../../core/hypervisor/failure-injector.js';
import { locked } from '../../core/hypervisor/locked.js';
import { withInjections } from '../../core/hypervisor/with-injections.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** A driver that only logs when each step starts and ends, taking a few ticks in between. */
function stubDriver(log: string[]): HypervisorDriver {
  const step = async (name: string, opts?: OperationOptions) => {
    log.push(`${name} start`);
    await tick();
    opts?.signal?.throwIfAborted();
    log.push(`${name} end`);
  };
  return {
    initHost: () => (log.push('initHost'), Promise.resolve()),
    getHostResources: () => Promise.resolve({ vcpus: 2, ramMb: 1024, diskGb: 10, hypervisorType: 'stub' }),
    spawn: async (spec, opts) => (await step(`spawn ${spec.instanceId}`, opts), {} as Domain),
    destroy: (id, opts) => step(`destroy ${id}`, opts),
    plugVif: async (id, vif, opts) => (await step(`plug ${id} ${vif.portId}`, opts), vif),
    unplugVif: (id, portId, opts) => step(`unplug ${id} ${portId ?? 'all'}`, opts),
    attachVolume: async (id, vol, opts) => (await step(`attach ${id} ${vol.volumeId}`, opts), { device: 'vdb' }),
    detachVolume: (id, volumeId, opts) => step(`detach ${id} ${volumeId}`, opts),
    powerOff: (id, opts) => step(`powerOff ${id}`, opts),
    powerOn: (id, opts) => step(`powerOn ${id}`, opts),
    reboot: (id, opts) => step(`reboot ${id}`, opts),
    listDomains: () => (log.push('list'), Promise.resolve([])),
    getDomain: (id) => (log.push(`get ${id}`), Promise.resolve(null)),
    getConsoleOutput: (id) => (log.push(`console ${id}`), Promise.resolve('')),
  };
}

const vif = (portId: string): VifSpec => ({
  portId,
  mac: 'fa:16:3e:00:00:01',
  ip: '10.0.0.5',
  networkId: 'net-1',
  segmentation: { type: 'flat', id: null },
  tapDevice: `tap${portId}`,
  bridge: 'brqnet-1',
});

describe('locked(driver)', () => {
  it('never interleaves two concurrent plugVif on one instance', async () => {
    const log: string[] = [];
    const driver = locked(stubDriver(log));
    await Promise.all([driver.plugVif('i-1', vif('p1')), driver.plugVif('i-1', vif('p2'))]);
    assert.deepEqual(log, ['plug i-1 p1 start', 'plug i-1 p1 end', 'plug i-1 p2 start', 'plug i-1 p2 end']);
  });

  it('runs changes to different instances side by side, and a failed step does not hold the lock', async () => {
    const log: string[] = [];
    const driver = locked(stubDriver(log));
    await Promise.all([driver.attachVolume('i-1', { volumeId: 'v', connection: target }), driver.destroy('i-2')]);
    assert.deepEqual(log.slice(0, 2).sort(), ['attach i-1 v start', 'destroy i-2 start']);

    const failing = locked({ ...stubDriver(log), destroy: () => Promise.reject(new Error('boom')) });
    await assert.rejects(failing.destroy('i-3'), /boom/);
    await failing.unplugVif('i-3');
  });

  it('a change waiting for the lock gives up when its signal aborts, and never runs', async () => {
    const log: string[] = [];
    const driver = locked(stubDriver(log));
    const controller = new AbortController();
    const first = driver.spawn({ instanceId: 'i-1' } as never);
    const waiting = driver.destroy('i-1', { signal: controller.signal });
    controller.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    await first;
    await driver.unplugVif('i-1');
    assert.deepEqual(log, ['spawn i-1 start', 'spawn i-1 end', 'unplug i-1 all start', 'unplug i-1 all end']);
  });

  it('passes reads and host set-up straight through', async () => {
    const log: string[] = [];
    const driver = locked(stubDriver(log));
    await driver.initHost();
    assert.equal((await driver.getHostResources()).hypervisorType, 'stub');
    await driver.listDomains();
    await driver.getDomain('i-1');
    assert.deepEqual(log, ['initHost', 'list', 'get i-1']);
  });
});

const target = { targetIqn: 'iqn.2010-10.org.nimbus:volume-v', targetPortal: '127.0.0.1:3260', targetLun: 0 };

describe('withInjections(driver)', () => {
  it('fails the named step before it reaches any driver, then lets it through', async () => {
    const log: string[] = [];
    const faults = new InMemoryFailureInjector([{ step: 'attach_volume', mode: 'error', times: 1 }]);
    const driver = withInjections(stubDriver(log), faults);
    await driver.plugVif('i-1', vif('p1'));
    await assert.rejects(driver.attachVolume('i-1', { volumeId: 'v', connection: target }), InjectedFailure);
    assert.deepEqual(await driver.attachVolume('i-1', { volumeId: 'v', connection: target }), { device: 'vdb' });
    assert.deepEqual(log, ['plug i-1 p1 start', 'plug i-1 p1 end', 'attach i-1 v start', 'attach i-1 v end']);
  });

  it('a crash fault calls the crash and the step never happens', async () => {
    const log: string[] = [];
    let crashes = 0;
    const faults = new InMemoryFailureInjector([{ step: 'detach_volume', mode: 'crash', times: 1 }], {
      crash: () => void crashes++,
    });
    const driver = withInjections(stubDriver(log), faults);
    await assert.rejects(driver.detachVolume('i-1', 'v'), InjectedFailure);
    assert.equal(crashes, 1);
    assert.deepEqual(log, []);
  });

  it('composed as the factory does, a hang holds no lock and ends when its signal aborts', async () => {
    const log: string[] = [];
    const faults = new InMemoryFailureInjector([{ step: 'spawn', mode: 'hang', times: 1 }]);
    const driver = withInjections(locked(stubDriver(log)), faults);
    const controller = new AbortController();
    const hung = driver.spawn({ instanceId: 'i-1' } as never, { signal: controller.signal });
    // The build's undo on the same instance is not stuck behind the hang.
    await driver.destroy('i-1');
    assert.deepEqual(log, ['destroy i-1 start', 'destroy i-1 end']);
    controller.abort(new Error('activity cancelled'));
    await assert.rejects(hung, /activity cancelled/);
    assert.deepEqual(log, ['destroy i-1 start', 'destroy i-1 end'], 'the hung spawn never ran');
  });
});
