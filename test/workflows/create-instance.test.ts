import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultCodes } from '../../contracts/errors.js';
import type { CarriedRecords } from '../../contracts/activities.js';
import { TaskQueues } from '../../contracts/task-queues.js';
import {
  DEAD_HOST,
  buildFailure,
  createInput,
  queryStatus,
  searchAttributes,
  startCreate,
  useHarness,
} from './harness.js';

/**
 * CreateInstance against a real dev server with a fake cloud behind every queue: the
 * happy path, rescheduling (refusal, host step failure, dead host) and NoValidHost.
 * Compensation of fatal failures and cancellation: create-instance-compensation.test.ts.
 */

const n1 = 'compute.node-1';
const n2 = 'compute.node-2';
const n3 = 'compute.node-3';

/** The build's calls on one host until it is ACTIVE: claim (granted by the host, then recorded), pull, spawn. */
const placedOn = (q: string) => [`${q}:claimResources`, 'instances:recordClaim', `${q}:pullImage`, `${q}:spawnDomain`];
/** Placed, then wired and recorded ACTIVE: the rest of a build without a volume. */
/** The port, its DHCP reservation on the network node, and the VIF on the host (then the port's status recorded). */
const wiredOn = (q: string) => [
  'network:allocatePort',
  'network-node:addDhcpReservation',
  `${q}:plugVif`,
  'instances:recordPortStatus',
];
const builtOn = (q: string) => [...placedOn(q), ...wiredOn(q), 'instances:recordActive'];

describe('CreateInstance', () => {
  const h = useHarness();

  it('builds an instance with a volume: every step in order, ACTIVE in the query and search attributes', async () => {
    const input = createInput({ volume: { sizeGb: 1 } });
    const handle = await startCreate(h, input);
    assert.deepEqual(await handle.result(), { host: 'node-1' });

    assert.deepEqual(h.cloud.actions(), [
      'scheduler:selectHost',
      ...placedOn(n1),
      ...wiredOn(n1),
      'storage:createVolume',
      'storage-node:exportVolume',
      `${n1}:attachVolume`,
      'instances:recordVolumeAttached',
      'instances:recordActive',
    ]);
    assert.deepEqual(h.cloud.recordsOf('recordActive'), [{ instanceId: input.instanceId, host: 'node-1' }]);
    const taskStates = h.cloud
      .recordsOf('recordStep')
      .filter((r) => r.phase === 'start' && r.taskState)
      .map((r) => r.taskState);
    // The task states the API shows, in the order the user sees them, after the 'scheduling' the
    // API admitted the build with (the first schedule's start moves nothing: it waits).
    assert.deepEqual(taskStates, ['pulling_image', 'spawning', 'networking', 'attaching_volume']);

    const status = await queryStatus(handle);
    assert.equal(status.status, 'ACTIVE');
    assert.equal(status.host, 'node-1');
    assert.equal(status.taskState, null);
    assert.equal(status.fault, null);
    assert.deepEqual(status.attempts, [{ host: 'node-1', outcome: 'claimed', reason: null }]);
    assert.deepEqual(
      status.steps.map((s) => [s.step, s.outcome]),
      [
        ...['schedule', 'claim', 'pull_image', 'spawn', 'allocate_port', 'add_dhcp_reservation', 'plug_vif'],
        ...['create_volume', 'export_volume', 'attach_volume'],
      ].map((s) => [s, 'succeeded']),
    );
    assert.ok(status.steps.every((s) => s.finishedAt !== null && s.finishedAt >= s.startedAt));
    assert.deepEqual(status.compensations, []);

    assert.deepEqual(await searchAttributes(handle), { status: 'ACTIVE', host: 'node-1' });
    // What a live instance holds: nothing was undone.
    const volumeId = [...h.cloud.volumes.keys()][0];
    assert.deepEqual(
      h.cloud.leftovers().sort(),
      [
        `attachment node-1/${volumeId}`,
        `claim ${input.instanceId} on node-1`,
        `dhcp reservation ${input.instanceId}`,
        `domain node-1/${input.instanceId}`,
        `export node-1/${volumeId}`,
        `host ledger claim node-1/${input.instanceId}`,
        `port ${input.instanceId}`,
        `stored ${volumeId}`,
        `vif node-1/${input.instanceId}`,
        `volume ${volumeId}`,
      ].sort(),
    );
  });

  it('holds its records until one the user sees, in 5 local activities or with a control-plane step', async () => {
    const input = createInput({ volume: { sizeGb: 1 } });
    const handle = await startCreate(h, input);
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const queues = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name ?? []);
    assert.equal(queues.length, 10, `one activity per step: ${queues.join(', ')}`);
    assert.ok(!queues.includes(TaskQueues.workflows), `no records on the workflow queue: ${queues.join(', ')}`);
    const local = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    // Every record the API reads was written (start and end of the 10 steps, the attempt, what the
    // host did: claim, port, attachment; ACTIVE): 25 records in 5 local activities. A write goes out
    // for a step that moves the task state (pulling_image, spawning, networking, attaching_volume),
    // for what the control plane may refuse (the claim, the attachment: last in the call) and for
    // ACTIVE; everything else waits for it, with its own time. The control-plane steps that move
    // the task state (allocatePort, createVolume) write what was held, and their own start, themselves.
    assert.equal(h.cloud.records.length, 25);
    const types = local.map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return (JSON.parse(Buffer.from(data ?? []).toString()) as { activity_type: string }).activity_type;
    });
    assert.deepEqual(types, Array(5).fill('recordBatch'));
    const carried = (activity: string) => {
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity);
      const data = scheduled?.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data;
      const { records } = JSON.parse(Buffer.from(data ?? []).toString()) as CarriedRecords;
      return (records ?? []).map((r) => (r.name === 'recordStep' ? `${r.input.step} ${r.input.phase}` : r.name));
    };
    assert.deepEqual(carried('allocatePort'), ['spawn succeeded', 'allocate_port start']);
    assert.deepEqual(carried('createVolume'), [
      ...['allocate_port succeeded', 'add_dhcp_reservation start', 'add_dhcp_reservation succeeded'],
      ...['plug_vif start', 'recordPortStatus', 'plug_vif succeeded', 'create_volume start'],
    ]);
    const rows = h.cloud.records.map((r) =>
      r.name === 'recordStep' ? `${r.input.step} ${r.input.phase}` : r.name.replace(/^record/, ''),
    );
    assert.deepEqual(rows.slice(0, 7), [
      'schedule start',
      'schedule succeeded',
      'claim start',
      'Claim',
      'claim succeeded',
      'Attempt',
      'pull_image start',
    ]);
    assert.deepEqual(rows.slice(-4), ['attach_volume start', 'VolumeAttached', 'attach_volume succeeded', 'Active']);
    // A held record keeps the time it happened: starts and ends in order, by the workflow's clock.
    const times = h.cloud.recordsOf('recordStep').map((r) => r.at ?? '');
    assert.ok(
      times.every((t) => t !== ''),
      'every step record carries its time',
    );
    assert.deepEqual([...times].sort(), times);
  });

  it('moves to the next host when the first refuses the claim, releasing the first claim', async () => {
    h.cloud.fail({ queue: n1, activity: 'claimResources', mode: 'refuse' });
    const input = createInput();
    const handle = await startCreate(h, input);
    assert.deepEqual(await handle.result(), { host: 'node-2' });

    assert.deepEqual(h.cloud.actions(), [
      'scheduler:selectHost',
      `${n1}:claimResources`,
      `${n1}:releaseHostClaim`,
      'scheduler:releaseClaim',
      'scheduler:selectHost',
      ...builtOn(n2),
    ]);
    const status = await queryStatus(handle);
    assert.equal(status.attempts.length, 2);
    assert.deepEqual({ ...status.attempts[0], reason: null }, { host: 'node-1', outcome: 'refused', reason: null });
    assert.match(status.attempts[0].reason ?? '', /not enough free room/);
    assert.deepEqual(status.attempts[1], { host: 'node-2', outcome: 'claimed', reason: null });
    assert.deepEqual(
      h.cloud.recordsOf('recordAttempt').map((r) => [r.attemptNo, r.attempt.host, r.attempt.outcome]),
      [
        [1, 'node-1', 'refused'],
        [2, 'node-2', 'claimed'],
      ],
    );
    assert.deepEqual([...h.cloud.claims], [[input.instanceId, 'node-2']], 'only the second host holds a claim');
    assert.deepEqual(await searchAttributes(handle), { status: 'ACTIVE', host: 'node-2' });
  });

  it("moves on when the control plane refuses to record a host's claim, releasing it on that host", async () => {
    // The host's ledger granted it, but the recorded usage says the host is full (they disagree).
    h.cloud.fail({ queue: TaskQueues.workflows, activity: 'recordClaim', mode: 'refuse', times: 1 });
    const input = createInput();
    const handle = await startCreate(h, input);
    assert.deepEqual(await handle.result(), { host: 'node-2' });

    assert.deepEqual(h.cloud.actions(), [
      'scheduler:selectHost',
      `${n1}:claimResources`,
      'instances:recordClaim',
      `${n1}:releaseHostClaim`,
      'scheduler:releaseClaim',
      'scheduler:selectHost',
      ...builtOn(n2),
    ]);
    assert.equal((await queryStatus(handle)).attempts[0].outcome, 'refused');
    assert.deepEqual([...h.cloud.hostClaims], [`node-2/${input.instanceId}`], 'node-1 keeps no claim in its ledger');
    assert.deepEqual([...h.cloud.claims], [[input.instanceId, 'node-2']]);
  });

  it('reschedules when spawn fails on a host: that host’s domain is destroyed and its claim released', async () => {
    // The domain is defined, then the boot fails: every retry of the step fails the same way.
    h.cloud.fail({ queue: n1, activity: 'spawnDomain', mode: 'error', when: 'after' });
    const input = createInput();
    const handle = await startCreate(h, input);
    assert.deepEqual(await handle.result(), { host: 'node-2' });

    assert.deepEqual(h.cloud.actions(), [
      'scheduler:selectHost',
      ...placedOn(n1),
      `${n1}:spawnDomain`, // retried on the same host under the host-local retry policy
      `${n1}:spawnDomain`,
      `${n1}:destroyDomain`,
      `${n1}:releaseHostClaim`,
      'scheduler:releaseClaim',
      'scheduler:selectHost',
      ...builtOn(n2),
    ]);
    const status = await queryStatus(handle);
    assert.deepEqual(
      status.attempts.map((a) => [a.host, a.outcome]),
      [
        ['node-1', 'failed'],
        ['node-2', 'claimed'],
      ],
    );
    assert.match(status.attempts[0].reason ?? '', /spawnDomain on compute\.node-1 failed/);
    assert.deepEqual(status.compensations, [
      { name: 'destroyDomain(node-1)', outcome: 'succeeded', error: null },
      { name: 'releaseHostClaim(node-1)', outcome: 'succeeded', error: null },
      { name: 'releaseClaim(node-1)', outcome: 'succeeded', error: null },
    ]);
    assert.ok(!h.cloud.domains.has(`node-1/${input.instanceId}`), 'the failed host keeps no domain');
    assert.deepEqual([...h.cloud.claims], [[input.instanceId, 'node-2']]);
    // The task state goes back to scheduling for the second host: that start is written at once.
    const taskStates = h.cloud.recordsOf('recordStep').flatMap((r) => (r.phase === 'start' && r.taskState) || []);
    assert.deepEqual(taskStates, [
      ...['pulling_image', 'spawning'],
      ...['scheduling', 'pulling_image', 'spawning', 'networking'],
    ]);
  });

  it('fails NoValidHost after three failed attempts, naming every host, with nothing left', async () => {
    h.cloud
      .fail({ queue: n1, activity: 'claimResources', mode: 'refuse' })
      .fail({ queue: n2, activity: 'spawnDomain', mode: 'fatal', type: FaultCodes.HostStepFailed, when: 'after' })
      .fail({ queue: n3, activity: 'pullImage', mode: 'fatal', type: FaultCodes.HostStepFailed });
    const input = createInput({ volume: { sizeGb: 1 } });
    const handle = await startCreate(h, input);

    const failure = await buildFailure(handle, FaultCodes.NoValidHost);
    for (const host of ['node-1', 'node-2', 'node-3']) assert.match(failure.message, new RegExp(host));
    assert.match(
      failure.message,
      /attempt 1 on node-1: refused.*attempt 2 on node-2: failed.*attempt 3 on node-3: failed/,
    );

    const [fault] = h.cloud.recordsOf('recordFault');
    assert.deepEqual(
      { ...fault.fault, message: '' },
      { code: FaultCodes.NoValidHost, message: '', step: 'claim', host: null },
    );
    assert.equal(fault.fault.message, failure.message);
    assert.equal(h.cloud.actions().filter((c) => c === 'scheduler:selectHost').length, 3, 'at most three attempts');
    assert.ok(
      !h.cloud.actions().some((c) => c.startsWith('network:') || c.startsWith('storage:')),
      'nothing after placement ran',
    );
    assert.deepEqual(h.cloud.leftovers(), []);

    const status = await queryStatus(handle);
    assert.equal(status.status, 'ERROR');
    assert.equal(status.fault?.code, FaultCodes.NoValidHost);
    assert.deepEqual(
      status.attempts.map((a) => a.outcome),
      ['refused', 'failed', 'failed'],
    );
    assert.equal((await searchAttributes(handle)).status, 'ERROR');
  });

  it('fails NoValidHost at the schedule step when no host has room at all', async () => {
    h.cloud.hostOrder = [];
    const handle = await startCreate(h, createInput());
    const failure = await buildFailure(handle, FaultCodes.NoValidHost);
    assert.match(failure.message, /no host has room/);
    assert.equal(h.cloud.recordsOf('recordFault')[0]?.fault.step, 'schedule');
    assert.deepEqual(h.cloud.actions(), ['scheduler:selectHost', 'instances:recordFault']);
  });

  it('treats a host nobody polls as dead (pickup timeout) and builds elsewhere', async () => {
    h.cloud.hostOrder = [DEAD_HOST, 'node-1', 'node-2'];
    const input = createInput();
    const handle = await startCreate(h, input);
    assert.deepEqual(await handle.result(), { host: 'node-1' });

    const status = await queryStatus(handle);
    assert.deepEqual(
      status.attempts.map((a) => [a.host, a.outcome]),
      [
        [DEAD_HOST, 'timeout'],
        ['node-1', 'claimed'],
      ],
    );
    assert.match(status.attempts[0].reason ?? '', /SCHEDULE_TO_START/);
    // The dead host would not answer the release in its ledger either: left to its own sync.
    assert.deepEqual(
      status.compensations.map((c) => [c.name, c.outcome]),
      [
        [`releaseHostClaim(${DEAD_HOST})`, 'deferred'],
        [`releaseClaim(${DEAD_HOST})`, 'succeeded'],
      ],
    );
    // The claim was never taken on the dead host; its release runs on the scheduler queue anyway.
    assert.deepEqual(h.cloud.actions().slice(0, 3), [
      'scheduler:selectHost',
      'scheduler:releaseClaim',
      'scheduler:selectHost',
    ]);
    assert.deepEqual([...h.cloud.claims], [[input.instanceId, 'node-1']]);
    assert.deepEqual(await searchAttributes(handle), { status: 'ACTIVE', host: 'node-1' });
  });
});
