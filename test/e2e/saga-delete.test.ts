/**
 * DELETE of a building instance during each step of its build: the build is cancelled, the
 * saga compensates what it had done, the instance ends DELETED and nothing leaks. To catch
 * a build inside a host step, that step hangs (an injected fault, released by the cancel);
 * the control-plane steps are caught by their task state. Deleting twice is harmless, and
 * DELETE of an ACTIVE instance runs DeleteInstance.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  FAST_FAILURE_ENV,
  armFault,
  clearFaults,
  createInstance,
  deleteAndWait,
  enableOnly,
  faultTimesLeft,
  getInstance,
  waitSettled,
} from '../support/fault-cases.js';
import { buildingInstances, waitUntilClean } from '../support/invariants.js';
import { useStack } from '../support/use-stack.js';

const HOST = 'node-1';

/** Where the DELETE lands: a hung host step, or a task state the build reaches. */
const CASES: Array<{ during: string; volume: boolean; hang?: string; taskState?: string }> = [
  { during: 'scheduling', volume: false, taskState: 'scheduling' },
  { during: 'claim', volume: false, hang: 'claim' },
  { during: 'pull_image', volume: false, hang: 'pull_image' },
  { during: 'spawn', volume: false, hang: 'spawn' },
  { during: 'allocate_port (networking)', volume: true, taskState: 'networking' },
  { during: 'plug_vif', volume: false, hang: 'plug_vif' },
  { during: 'create_volume (attaching_volume)', volume: true, taskState: 'attaching_volume' },
  { during: 'attach_volume', volume: true, hang: 'attach_volume' },
];

describe('DELETE during each step of a build', () => {
  // Slow hypervisor steps, so a build is still in the networking and volume steps when polled.
  const { stack, db } = useStack({ env: { ...FAST_FAILURE_ENV, NIMBUS_HYPERVISOR_DELAY_MS: '300' }, db: true });

  before(async () => {
    // One host, so the hang is where the build is.
    await enableOnly(stack, [HOST]);
  });

  for (const c of CASES) {
    it(`during ${c.during}: the saga compensates and the instance ends DELETED`, async () => {
      await clearFaults(stack, HOST);
      if (c.hang) await armFault(stack, HOST, c.hang, 'hang', 1);
      const id = await createInstance(stack, `del-${c.during.split(' ')[0]}`, c.volume);
      if (c.hang) {
        // The fault fired: the step is running and will not finish by itself.
        await stack.waitFor(
          async () => (await faultTimesLeft(stack, HOST, c.hang!)) === 0,
          30_000,
          `${c.hang} hanging`,
        );
      } else {
        await stack.waitFor(
          async () => {
            const body = await getInstance(stack, id);
            return body.taskState === c.taskState || body.status !== 'BUILD';
          },
          30_000,
          `task state ${c.taskState}`,
        );
      }
      const res = await stack.api('DELETE', `/v1/instances/${id}`);
      assert.equal(res.status, 202);
      const gone = await waitSettled(stack, id, 60_000, ['DELETED']);
      assert.equal(gone.taskState, null);
      // Twice is harmless.
      assert.equal((await stack.api('DELETE', `/v1/instances/${id}`)).status, 202);
      assert.equal((await getInstance(stack, id)).status, 'DELETED');
      await waitUntilClean(stack, db);
      assert.deepEqual(await buildingInstances(db), []);
    });
  }

  it('DELETE of an ACTIVE instance tears it down (DeleteInstance), twice harmlessly', async () => {
    await clearFaults(stack, HOST);
    const id = await createInstance(stack, 'del-active', true);
    assert.equal((await waitSettled(stack, id)).status, 'ACTIVE');
    await deleteAndWait(stack, id);
    assert.equal((await stack.api('DELETE', `/v1/instances/${id}`)).status, 202);
    await waitUntilClean(stack, db);
    assert.deepEqual(await buildingInstances(db), []);
  });
});
