import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { DomainPowerState, PowerActivities } from '../../contracts/activities.js';
import { FaultCodes } from '../../contracts/errors.js';
import type { ConsoleInput, PowerAction, PowerActionInput } from '../../contracts/power.js';
import { TaskQueues, consoleWorkflowId, powerActionWorkflowId } from '../../contracts/task-queues.js';
import type { InstanceConsole } from '../../workflows/console-output.js';
import type { InstancePowerAction } from '../../workflows/power-action.js';
import { lateBound } from '../support/late-bound.js';
import { useWorkflowEnv } from '../support/workflow-env.js';
import { FakeCloud } from './fake-cloud.js';
import { DEAD_HOST, PICKUP_SEC } from './harness.js';

/**
 * InstancePowerAction and InstanceConsole against a real dev server: the host step runs on
 * the host's queue, the outcome is recorded (status, power state, the action row), a failed
 * or unreachable host leaves the status alone and clears the task.
 */

/** The power activities of node-1: domains' states in memory, a step that can fail or wait. */
class FakePowerHost {
  readonly states = new Map<string, DomainPowerState>();
  calls: string[] = [];
  failNext = false;
  gate: Promise<void> | null = null;

  activities(): PowerActivities {
    const step =
      (name: string, next: (s: DomainPowerState) => DomainPowerState) =>
      async ({ instanceId }: { instanceId: string }) => {
        this.calls.push(name);
        if (this.gate) await this.gate;
        if (this.failNext) {
          this.failNext = false;
          throw ApplicationFailure.nonRetryable('QMP did not answer', FaultCodes.HostStepFailed);
        }
        const state = next(this.states.get(instanceId) ?? 'running');
        this.states.set(instanceId, state);
        return { state };
      };
    return {
      powerOffDomain: step('powerOffDomain', () => 'shutoff'),
      powerOnDomain: step('powerOnDomain', () => 'running'),
      rebootDomain: step('rebootDomain', () => 'running'),
      getConsoleOutput: ({ instanceId, lines }) =>
        Promise.resolve({
          output: [`boot of ${instanceId}`, `NIMBUS-GUEST-READY instance=${instanceId}`].slice(-lines).join('\n'),
        }),
    };
  }
}

const cloud = new FakeCloud();
const host = new FakePowerHost();
const env = useWorkflowEnv(() => ({
  records: cloud.recordsActivities(),
  activityQueues: { 'compute.node-1': host.activities() },
}));
const client = lateBound('the workflow client', () => env.client);

beforeEach(() => {
  cloud.reset();
  host.calls = [];
  host.failNext = false;
  host.gate = null;
});

function startPower(action: PowerAction, instanceId: string, onHost = 'node-1') {
  const input: PowerActionInput = { instanceId, host: onHost, action, hostPickupTimeoutSec: PICKUP_SEC };
  return client.workflow.start<typeof InstancePowerAction>('InstancePowerAction', {
    taskQueue: TaskQueues.workflows,
    workflowId: powerActionWorkflowId(instanceId),
    args: [input],
  });
}

const stepsOf = (instanceId: string) =>
  cloud.recordsOf('recordStep').map((r) => {
    assert.equal(r.instanceId, instanceId);
    return `${r.step}:${r.phase}`;
  });

describe('InstancePowerAction', () => {
  it('stop powers the domain off and records SHUTOFF with power state 4 (SHUTDOWN)', async () => {
    const instanceId = randomUUID();
    const result = await (await startPower('stop', instanceId)).result();
    assert.deepEqual(result, { status: 'SHUTOFF', powerState: 4 });
    assert.deepEqual(host.calls, ['powerOffDomain']);
    assert.deepEqual(cloud.recordsOf('recordPowerState'), [{ instanceId, status: 'SHUTOFF', powerState: 4 }]);
    assert.deepEqual(stepsOf(instanceId), ['stop:start', 'stop:succeeded']);
    assert.equal(host.states.get(instanceId), 'shutoff');
  });

  it('start and reboot bring the domain back running: ACTIVE with power state 1 (RUNNING)', async () => {
    const instanceId = randomUUID();
    host.states.set(instanceId, 'shutoff');
    assert.deepEqual(await (await startPower('start', instanceId)).result(), { status: 'ACTIVE', powerState: 1 });
    assert.deepEqual(await (await startPower('reboot', instanceId)).result(), { status: 'ACTIVE', powerState: 1 });
    assert.deepEqual(host.calls, ['powerOnDomain', 'rebootDomain']);
    assert.deepEqual(stepsOf(instanceId), ['start:start', 'start:succeeded', 'reboot:start', 'reboot:succeeded']);
  });

  it('a failed host step fails the action, leaves the status alone and clears the task', async () => {
    const instanceId = randomUUID();
    host.failNext = true;
    const handle = await startPower('stop', instanceId);
    await assert.rejects(handle.result(), WorkflowFailedError);
    assert.deepEqual(cloud.recordsOf('recordPowerState'), []);
    assert.deepEqual(stepsOf(instanceId), ['stop:start', 'stop:failed']);
    assert.match(cloud.recordsOf('recordStep')[1].message ?? '', /QMP did not answer/);
    assert.deepEqual(cloud.recordsOf('recordTaskState'), [{ instanceId, taskState: null }]);
  });

  it('a dead host fails the action after the pickup timeout, status untouched', async () => {
    const instanceId = randomUUID();
    const started = Date.now();
    await assert.rejects((await startPower('reboot', instanceId, DEAD_HOST)).result(), WorkflowFailedError);
    assert.ok(Date.now() - started < (PICKUP_SEC + 5) * 1000, 'ends soon after the pickup timeout');
    assert.deepEqual(cloud.recordsOf('recordPowerState'), []);
    assert.match(cloud.recordsOf('recordStep')[1].message ?? '', /SCHEDULE_TO_START/);
  });

  it('one power action per instance at a time: a second start of its id is refused while it runs', async () => {
    const instanceId = randomUUID();
    let open!: () => void;
    host.gate = new Promise((resolve) => (open = resolve));
    const first = await startPower('stop', instanceId);
    await assert.rejects(startPower('start', instanceId), WorkflowExecutionAlreadyStartedError);
    open();
    await first.result();
    // Once it closed, the next action of the instance may run.
    host.gate = null;
    assert.equal((await (await startPower('start', instanceId)).result()).status, 'ACTIVE');
  });
});

describe('InstanceConsole', () => {
  const read = (input: ConsoleInput) =>
    client.workflow.execute<typeof InstanceConsole>('InstanceConsole', {
      taskQueue: TaskQueues.workflows,
      workflowId: consoleWorkflowId(input.instanceId, randomUUID()),
      args: [input],
    });

  it("answers the host's console lines", async () => {
    const instanceId = randomUUID();
    const { output } = await read({ instanceId, host: 'node-1', lines: 1 });
    assert.equal(output, `NIMBUS-GUEST-READY instance=${instanceId}`);
  });

  it('fails within the pickup timeout when the host is dead', async () => {
    const started = Date.now();
    await assert.rejects(
      read({ instanceId: randomUUID(), host: DEAD_HOST, lines: 5, hostPickupTimeoutSec: 1 }),
      WorkflowFailedError,
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });
});
