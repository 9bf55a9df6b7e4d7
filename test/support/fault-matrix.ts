import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import {
  FAST_FAILURE_ENV,
  HOSTS,
  armFault,
  clearFaults,
  createInstance,
  enableOnly,
  type InjectionMode,
  type InstanceBody,
  undone,
  waitAgentServing,
  waitPlaced,
  waitSettled,
} from './fault-cases.js';
import { actionLog, buildingInstances, waitUntilClean } from './invariants.js';
import { useStack } from './use-stack.js';

/**
 * One fault mode at every host step of the saga, on one stack (test/e2e/saga-faults-*.test.ts).
 * Faults are per host and step, and every build passes claim, pull and spawn, so each case
 * owns a host: a round runs two cases at once, each pinned to its own host by enabling only
 * that host while it is placed (a disabled host keeps what it already claimed). node-3 never
 * has a fault: it is where a build driven off node-1 goes.
 *
 * - claim, pull_image, spawn (node-1, three firings: every attempt): the build leaves node-1
 *   and ends ACTIVE on node-3.
 * - plug_vif, attach_volume (three firings): ERROR naming the step and host, all undone.
 * - destroy, unplug_vif, detach_volume: undos, so the build is made to fail at attach_volume
 *   first; ERROR, and whatever the faulty undo left is gone (a retry or reconciliation). An
 *   'error' there fails the undo for good: ERROR CleanupIncomplete naming it, then the
 *   controller's cleanup repair tears the instance down and it ends DELETED.
 */

type Case =
  | { kind: 'elsewhere'; step: 'claim' | 'pull_image' | 'spawn' }
  | { kind: 'error'; step: 'plug_vif' | 'attach_volume' }
  | { kind: 'undo'; step: 'destroy' | 'unplug_vif' | 'detach_volume'; undo: string };

const ROUNDS: Array<Array<[Case, string]>> = [
  [
    [{ kind: 'elsewhere', step: 'claim' }, 'node-1'],
    [{ kind: 'error', step: 'plug_vif' }, 'node-2'],
  ],
  [
    [{ kind: 'elsewhere', step: 'pull_image' }, 'node-1'],
    [{ kind: 'error', step: 'attach_volume' }, 'node-2'],
  ],
  [
    [{ kind: 'elsewhere', step: 'spawn' }, 'node-1'],
    [{ kind: 'undo', step: 'destroy', undo: 'destroyDomain' }, 'node-2'],
  ],
  [
    [{ kind: 'undo', step: 'unplug_vif', undo: 'unplugVif' }, 'node-1'],
    [{ kind: 'undo', step: 'detach_volume', undo: 'detachVolume' }, 'node-2'],
  ],
];
const SPARE = 'node-3';

/**
 * Registers the tests of one mode. `part` runs half the rounds (claim, pull_image, plug_vif,
 * attach_volume / spawn and the undos), so that a slow mode's halves are files of their own
 * that each stay well under two minutes.
 */
export function faultMatrix(mode: InjectionMode, part?: 'steps' | 'spawn-and-undos'): void {
  const rounds = part === 'steps' ? ROUNDS.slice(0, 2) : part === 'spawn-and-undos' ? ROUNDS.slice(2) : ROUNDS;
  describe(`the saga with a '${mode}' fault at ${part === undefined ? 'each host step' : part === 'steps' ? 'claim, pull_image, plug_vif, attach_volume' : 'spawn and each undo'}`, () => {
    const { stack, db, connection: temporal } = useStack({ env: FAST_FAILURE_ENV, db: true, client: true });

    for (const round of rounds) {
      const names = round.map(([c, host]) => `${c.step} on ${host}`).join(' and ');
      it(`${mode} at ${names}: ${round.map(([c]) => (c.kind === 'elsewhere' ? 'ACTIVE elsewhere' : 'ERROR')).join(', ')}; nothing leaks`, async () => {
        for (const host of HOSTS) {
          await clearFaults(stack, host);
          await waitAgentServing(stack, temporal, host);
        }
        // Place one case at a time, each on its own host; the off-host case goes last, with node-3 to go to.
        const ordered = [...round].sort(([a], [b]) => Number(a.kind === 'elsewhere') - Number(b.kind === 'elsewhere'));
        const started: Array<{ c: Case; host: string; id: string }> = [];
        for (const [c, host] of ordered) {
          if (c.kind === 'undo') {
            await armFault(stack, host, 'attach_volume', 'error', 1);
            await armFault(stack, host, c.step, mode, 1);
          } else {
            await armFault(stack, host, c.step, mode, 3);
          }
          await enableOnly(stack, c.kind === 'elsewhere' ? [host, SPARE] : [host]);
          const id = await createInstance(stack, `${mode}-${c.step}`, c.kind !== 'error' || c.step === 'attach_volume');
          // An off-host case leaves its host by design; the others must be placed where their fault is.
          if (c.kind !== 'elsewhere') assert.equal(await waitPlaced(stack, id), host);
          started.push({ c, host, id });
        }
        try {
          for (const { c, host, id } of started) await assertOutcome(db, c, host, await waitSettled(stack, id, 90_000));
        } finally {
          await enableOnly(stack, HOSTS);
          for (const host of HOSTS) await clearFaults(stack, host);
        }
        await waitUntilClean(stack, db);
        assert.deepEqual(await buildingInstances(db), []);
      });
    }

    async function assertOutcome(db: DataSource, c: Case, host: string, inst: InstanceBody): Promise<void> {
      const log = await actionLog(db, inst.id);
      const why = `${c.step}: ${JSON.stringify(inst)}\n${log.join('\n')}`;
      if (c.kind === 'elsewhere') {
        assert.equal(inst.status, 'ACTIVE', why);
        assert.equal(inst.host, SPARE, why);
        assert.equal(inst.attempts[0]?.host, host, why);
        assert.notEqual(inst.attempts[0]?.outcome, 'claimed', why);
        if (mode === 'error' && c.step === 'claim') assert.equal(inst.attempts[0].outcome, 'refused', why);
        assert.deepEqual(inst.attempts.at(-1), { host: SPARE, outcome: 'claimed', reason: null }, why);
        // The failed host's claim was given back (a claim that never happened needs none).
        assert.ok((await undone(db, inst.id)).includes(`releaseClaim(${host})`), why);
        return;
      }
      if (c.kind === 'undo' && mode === 'error') {
        const [fault] = await db.query(`SELECT code, message FROM instance_faults WHERE instance_id = $1`, [inst.id]);
        assert.equal(fault?.code, 'CleanupIncomplete', why);
        assert.match(fault.message, new RegExp(`left: .*${c.undo}\\(${host}\\)`), why);
        assert.equal((await waitSettled(stack, inst.id, 60_000, ['DELETED'])).status, 'DELETED', why);
        return;
      }
      assert.equal(inst.status, 'ERROR', why);
      const failedStep = c.kind === 'undo' ? 'attach_volume' : c.step;
      assert.equal(inst.fault?.step, failedStep, why);
      assert.equal(inst.fault?.host, host, why);
      assert.equal(inst.fault?.code, mode === 'error' || c.kind === 'undo' ? 'InjectedFault' : 'HostStepFailed', why);
      assert.ok(log.includes(`${failedStep}@${host}:failed`), `the action log shows the failed step\n${why}`);
      const undos = await undone(db, inst.id);
      for (const u of [
        `releaseClaim(${host})`,
        'deallocatePort',
        ...(c.kind === 'error' && c.step === 'plug_vif' ? [] : ['deleteVolume']),
      ]) {
        assert.ok(undos.includes(u), `${u} was undone\n${why}`);
      }
      // A hung undo is cut by its timeout and retried until it succeeds.
      if (c.kind === 'undo' && mode === 'hang')
        assert.ok(undos.includes(`${c.undo}(${host})`), `${c.undo} was retried to success\n${why}`);
    }
  });
}
