/**
 * The fault matrix at `spawn` with the QEMU driver: one QEMU host (node-1), so a build whose
 * spawn fails on every attempt has nowhere else to go and ends ERROR (NoValidHost, naming
 * the attempt on node-1 and why). Each mode is armed for all three attempts through
 * `PUT /v1/admin/hosts/node-1/faults`, with FAST_FAILURE_ENV's 3 s step and heartbeat
 * timeouts: `error` fails the step (InjectedFault is permanent: it fires once, no retry),
 * `hang` runs into the step timeout three times, `crash` ends the agent's process three
 * times (the supervisor restarts it; the step times out and is retried on the new agent).
 * Injections fire in the driver's wrapper before QEMU is started; the case where a real
 * QEMU ran and an undo must kill it is in qemu-agent-crash.test.ts (plug_vif).
 * After each: no QEMU process, no instance folder, and the leak checker, which knows QEMU
 * processes, is clean. Without qemu-system-x86_64 this skips, except under CI=true.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FAST_FAILURE_ENV,
  armFault,
  clearFaults,
  createInstance,
  faultTimesLeft,
  type InjectionMode,
  undone,
  waitAgentServing,
  waitSettled,
} from '../support/fault-cases.js';
import { actionLog, buildingInstances, waitUntilClean } from '../support/invariants.js';
import { exists, instanceDir, qemuSkip, useQemuStack } from '../support/qemu-guests.js';
import { qemuPidsOf } from '../support/qemu-processes.js';

const HOST = 'node-1';

/** Why the attempt on node-1 failed, as the instance's attempts record it. */
const REASONS: Record<InjectionMode, RegExp> = {
  error: /injected error fault at spawn/,
  hang: /timed out/,
  crash: /timed out/,
};
/** How many of the three armed firings each mode uses: a permanent failure is not retried. */
const FIRINGS: Record<InjectionMode, number> = { error: 1, hang: 3, crash: 3 };

describe('the fault matrix at spawn with the QEMU driver', { skip: qemuSkip }, () => {
  const { stack, db, connection: temporal, guests } = useQemuStack([HOST], FAST_FAILURE_ENV);

  for (const mode of ['error', 'hang', 'crash'] as const) {
    it(`${mode} at spawn on every attempt: ERROR, no QEMU, no instance folder, nothing leaks`, async () => {
      await clearFaults(stack, HOST);
      await waitAgentServing(stack, temporal, HOST);
      await armFault(stack, HOST, 'spawn', mode, 3);
      const started = Date.now();
      const id = await createInstance(stack, `spawn-${mode}`);
      guests.push(id);
      let inst, timesLeft;
      try {
        inst = await waitSettled(stack, id, 90_000);
        timesLeft = await faultTimesLeft(stack, HOST, 'spawn');
      } finally {
        await clearFaults(stack, HOST);
      }
      const log = (await actionLog(db, id)).join('\n');
      const why = `${JSON.stringify(inst)}\n${log}`;
      console.log(`# ${mode}: POST -> ${inst.status} ${Date.now() - started} ms; ${inst.fault?.message}`);
      assert.equal(inst.status, 'ERROR', why);
      assert.equal(inst.fault?.code, 'NoValidHost', why);
      assert.equal(inst.attempts.length, 1, why);
      assert.equal(inst.attempts[0].host, HOST, why);
      assert.match(inst.attempts[0].reason ?? '', REASONS[mode], why);
      assert.match(inst.fault?.message ?? '', new RegExp(`attempt 1 on ${HOST}`), why);
      assert.ok(log.includes(`spawn@${HOST}:failed`), `the action log shows spawn failed\n${why}`);
      assert.equal(3 - timesLeft, FIRINGS[mode], `the injection fired ${FIRINGS[mode]} time(s)`);
      const undos = await undone(db, id);
      for (const u of [`destroyDomain(${HOST})`, `releaseClaim(${HOST})`]) {
        assert.ok(undos.includes(u), `${u} was undone\n${why}`);
      }

      assert.deepEqual(await qemuPidsOf(id), [], 'no QEMU process');
      assert.equal(await exists(instanceDir(stack, HOST, id)), false, 'no overlay or instance folder');
      await waitUntilClean(stack, db);
      assert.deepEqual(await buildingInstances(db), []);
    });
  }
});
