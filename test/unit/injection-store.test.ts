import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { HostInjectionStore } from '../../core/failure-injection/host-injection-store.js';
import { InjectedFailure, type FailureInjection } from '../../core/hypervisor/failure-injector.js';
import { useTestDatabase } from '../support/database.js';

let faults: HostInjectionStore;

useTestDatabase(({ db }) => {
  faults = new HostInjectionStore(db);
});

const freshHost = () => `fault-${randomUUID().slice(0, 8)}`;

describe('HostInjectionStore', () => {
  it('a fault armed for 2 times fires exactly twice under 10 concurrent takes', async () => {
    const host = freshHost();
    await faults.arm(host, { step: 'spawn', mode: 'error', times: 2 });
    const taken = await Promise.all(Array.from({ length: 10 }, () => faults.take(host, 'spawn')));
    assert.deepEqual(
      taken.filter((m) => m !== null),
      ['error', 'error'],
    );
    assert.equal(taken.filter((m) => m === null).length, 8);
    assert.equal(await faults.take(host, 'spawn'), null);
  });

  it('fires only for its host and step', async () => {
    const host = freshHost();
    await faults.arm(host, { step: 'plug_vif', mode: 'hang', times: 1 });
    assert.equal(await faults.take(host, 'spawn'), null);
    assert.equal(await faults.take(freshHost(), 'plug_vif'), null);
    assert.equal(await faults.take(host, 'plug_vif'), 'hang');
  });

  it('arming the same step again replaces mode and count', async () => {
    const host = freshHost();
    await faults.arm(host, { step: 'claim', mode: 'error', times: 5 });
    await faults.arm(host, { step: 'claim', mode: 'crash', times: 1 });
    const listed = await faults.list(host);
    assert.deepEqual(
      listed.map((f) => ({ step: f.step, mode: f.mode, times: f.times })),
      [{ step: 'claim', mode: 'crash', times: 1 }],
    );
  });

  it('lists a host faults with their remaining count, and clear removes them all', async () => {
    const host = freshHost();
    const other = freshHost();
    await faults.arm(host, { step: 'spawn', mode: 'error', times: 3 });
    await faults.arm(host, { step: 'attach_volume', mode: 'hang', times: 1 });
    await faults.arm(other, { step: 'spawn', mode: 'error', times: 1 });
    await faults.take(host, 'spawn');
    assert.deepEqual(
      (await faults.list(host)).map((f) => [f.step, f.mode, f.times]),
      [
        ['attach_volume', 'hang', 1],
        ['spawn', 'error', 2],
      ],
    );
    await faults.clear(host);
    assert.deepEqual(await faults.list(host), []);
    assert.equal(await faults.take(host, 'spawn'), null);
    assert.equal((await faults.list(other)).length, 1, 'another host keeps its faults');
    await faults.clear(host);
  });

  it('refuses a fault with an unknown step or mode or a bad count, storing nothing', async () => {
    const host = freshHost();
    const bad: Array<{ step: string; mode: string; times: number }> = [
      { step: 'hibernate', mode: 'error', times: 1 },
      { step: 'spawn', mode: 'explode', times: 1 },
      { step: 'spawn', mode: 'error', times: 0 },
      { step: 'spawn', mode: 'error', times: 1.5 },
    ];
    for (const f of bad) await assert.rejects(faults.arm(host, f as unknown as FailureInjection), RangeError);
    assert.deepEqual(await faults.list(host), []);
  });

  it('its injector fails the step with InjectedFailure while armed, then lets it pass', async () => {
    const host = freshHost();
    const injector = faults.injectorFor(host, () => assert.fail('no crash expected'));
    await faults.arm(host, { step: 'spawn', mode: 'error', times: 1 });
    await assert.rejects(injector.before('spawn', { instanceId: 'i-1' }), (err: unknown) => {
      assert.ok(err instanceof InjectedFailure);
      assert.deepEqual([err.step, err.mode, err.instanceId], ['spawn', 'error', 'i-1']);
      return true;
    });
    await injector.before('spawn', { instanceId: 'i-1' });
  });

  it('a crash fault calls the crash hook once and the step still does not happen', async () => {
    const host = freshHost();
    let crashes = 0;
    const injector = faults.injectorFor(host, () => {
      crashes++;
    });
    await faults.arm(host, { step: 'pull_image', mode: 'crash', times: 1 });
    await assert.rejects(injector.before('pull_image', { instanceId: 'i-2' }), InjectedFailure);
    await injector.before('pull_image', { instanceId: 'i-2' });
    assert.equal(crashes, 1);
  });

  it('a hang fault holds the step until the caller aborts', async () => {
    const host = freshHost();
    const injector = faults.injectorFor(host);
    await faults.arm(host, { step: 'attach_volume', mode: 'hang', times: 1 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    const pending = injector.before('attach_volume', { instanceId: 'i-3', signal: controller.signal });
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false);
    controller.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
  });
});
