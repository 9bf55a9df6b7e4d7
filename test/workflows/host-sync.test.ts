import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import {
  HOST_HEARTBEAT_SIGNAL,
  type HostHeartbeat,
  type HostHeartbeatSignal,
  type HostHeartbeatsInput,
  type HostSyncInput,
  type HostSyncResult,
} from '../../contracts/host-sync.js';
import { TaskQueues, hostHeartbeatsWorkflowId, hostSyncWorkflowId } from '../../contracts/task-queues.js';
import { lateBound } from '../support/late-bound.js';
import { until } from '../support/until.js';
import { useWorkflowEnv } from '../support/workflow-env.js';

/**
 * HostSync and HostHeartbeats against a real dev server, the control plane's activities
 * mocked: an agent's report reaches the scheduler queue and its answer comes back; heartbeats
 * are recorded with each host's latest send time, queued ones at once, across runs.
 */

/** The control plane as the agents reach it: HostSync's activity and the heartbeats' local activity. */
class FakeControlPlane {
  reports: HostSyncInput[] = [];
  /** Every recordHeartbeats call, in order. */
  recorded: HostHeartbeat[][] = [];
  /** While set, recordHeartbeats waits for it (the database slow: signals queue up meanwhile). */
  gate: Promise<void> | null = null;
  /** recordHeartbeats calls begun (some may wait at the gate). */
  calls = 0;
  failNext = false;

  answerFor(input: HostSyncInput): HostSyncResult {
    return {
      building: ['building-1'],
      hosts: input.reports.map((r) => ({
        host: r.host,
        instances: r.domains.map((d) => ({ id: d.instanceId, status: 'ACTIVE', host: r.host, taskState: null })),
        shutoff: r.domains.filter((d) => d.state === 'shutoff').map((d) => d.instanceId),
        expectedDevices: { taps: ['tap1'], bridges: ['brq1'] },
        placedInstanceIds: r.domains.map((d) => d.instanceId),
        claims: [],
      })),
    };
  }

  /** The latest send time recorded for each host. */
  latest(): Map<string, number> {
    const out = new Map<string, number>();
    for (const beat of this.recorded.flat()) out.set(beat.host, Math.max(out.get(beat.host) ?? 0, beat.sentAt));
    return out;
  }
}

const cloud = new FakeControlPlane();
const env = useWorkflowEnv(() => ({
  records: {
    recordHeartbeats: async ({ beats }: { beats: HostHeartbeat[] }) => {
      cloud.calls++;
      if (cloud.gate) await cloud.gate;
      if (cloud.failNext) {
        cloud.failNext = false;
        throw ApplicationFailure.nonRetryable('the database is away');
      }
      cloud.recorded.push(beats);
    },
  },
  activityQueues: {
    [TaskQueues.scheduler]: {
      syncHosts: (input: HostSyncInput) => {
        cloud.reports.push(input);
        return Promise.resolve(cloud.answerFor(input));
      },
    },
  },
}));
const client = lateBound('the workflow client', () => env.client);

beforeEach(() => {
  cloud.reports = [];
  cloud.recorded = [];
  cloud.gate = null;
  cloud.calls = 0;
  cloud.failNext = false;
});

describe('HostSync', () => {
  it("takes an agent's report to the control plane and returns its answer", async () => {
    const input: HostSyncInput = {
      reports: [
        {
          host: 'node-1',
          sentAt: Date.now(),
          capacity: { vcpus: 8, ramMb: 16384, diskGb: 160 },
          hypervisorType: 'fake',
          domains: [{ instanceId: 'i-1', state: 'shutoff' }],
        },
      ],
    };
    const result = await client.workflow.execute<(i: HostSyncInput) => Promise<HostSyncResult>>('HostSync', {
      taskQueue: TaskQueues.workflows,
      workflowId: hostSyncWorkflowId('node-1', randomUUID()),
      args: [input],
    });
    assert.deepEqual(cloud.reports, [input]);
    assert.deepEqual(result, cloud.answerFor(input));
    assert.deepEqual(result.hosts[0].shutoff, ['i-1']);
  });
});

describe('HostHeartbeats', () => {
  const beat = (agent: string, hosts: string[], sentAt: number, input: HostHeartbeatsInput = {}) =>
    client.workflow.signalWithStart<(i: HostHeartbeatsInput) => Promise<void>, [HostHeartbeatSignal]>(
      'HostHeartbeats',
      {
        taskQueue: TaskQueues.workflows,
        workflowId: hostHeartbeatsWorkflowId(agent),
        args: [input],
        signal: HOST_HEARTBEAT_SIGNAL,
        signalArgs: [{ hosts, sentAt }],
      },
    );
  const recordedAt = (host: string, sentAt: number) =>
    until(`${host}'s heartbeat of ${sentAt} recorded`, 10_000, () =>
      Promise.resolve(cloud.latest().get(host) === sentAt),
    );

  it('records each heartbeat with its send time, from one workflow per agent that keeps running', async () => {
    const agent = `node-${randomUUID().slice(0, 8)}`;
    const first = await beat(agent, [agent], 1000);
    await recordedAt(agent, 1000);
    const again = await beat(agent, [agent], 2000);
    await recordedAt(agent, 2000);
    assert.equal(again.signaledRunId, first.signaledRunId, 'the same run took the second heartbeat');
    assert.equal((await first.describe()).status.name, 'RUNNING');
    await first.terminate('test over');
  });

  it('heartbeats that queued up while the controller could not record are recorded at once, each host at its latest', async () => {
    const agent = `fleet-${randomUUID().slice(0, 8)}`;
    let open!: () => void;
    cloud.gate = new Promise((resolve) => (open = resolve));
    const handle = await beat(agent, ['a'], 1000);
    await until('the first record begun', 10_000, () => Promise.resolve(cloud.calls === 1));
    // The first record waits; these queue in the workflow's history meanwhile (out of order, too).
    await beat(agent, ['a', 'b'], 3000);
    await beat(agent, ['a', 'b'], 2000);
    await beat(agent, ['c'], 2500);
    open();
    await recordedAt('a', 3000);
    await until('b and c recorded', 10_000, () => Promise.resolve(cloud.latest().has('b') && cloud.latest().has('c')));
    assert.deepEqual(cloud.recorded, [
      [{ host: 'a', sentAt: 1000 }],
      [
        { host: 'a', sentAt: 3000 },
        { host: 'b', sentAt: 3000 },
        { host: 'c', sentAt: 2500 },
      ],
    ]);
    await handle.terminate('test over');
  });

  it('continues as new after its signals per run, losing no heartbeat on the way', async () => {
    const agent = `node-${randomUUID().slice(0, 8)}`;
    const hosts = Array.from({ length: 7 }, (_, i) => `${agent}-${i}`);
    const first = await beat(agent, [hosts[0]], 1000, { signalsPerRun: 2 });
    for (const host of hosts.slice(1)) await beat(agent, [host], 1000);
    for (const host of hosts) await recordedAt(host, 1000);
    const latestRun = client.workflow.getHandle(hostHeartbeatsWorkflowId(agent));
    const { runId, status } = await latestRun.describe();
    assert.notEqual(runId, first.signaledRunId, 'a later run');
    assert.equal(status.name, 'RUNNING');
    await latestRun.terminate('test over');
  });

  it('a heartbeat that could not be recorded is dropped, and the next one is recorded', async () => {
    const agent = `node-${randomUUID().slice(0, 8)}`;
    cloud.failNext = true;
    const handle = await beat(agent, [agent], 1000);
    await until('the failed record', 10_000, () => Promise.resolve(!cloud.failNext));
    await beat(agent, [agent], 2000);
    await recordedAt(agent, 2000);
    assert.deepEqual(cloud.recorded, [[{ host: agent, sentAt: 2000 }]]);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await handle.terminate('test over');
  });
});
