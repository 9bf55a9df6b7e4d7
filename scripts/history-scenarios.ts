/**
 * The scenarios `npm run record-histories` records (scripts/record-histories.ts): each drives
 * the real stack and names the workflows whose histories are saved.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { RECONCILE_STORAGE_WORKFLOW_ID, TaskQueues, dhcpStateWorkflowId } from '../contracts/task-queues.js';
import { volumeAttachmentWorkflowId } from '../contracts/volume-attachment.js';
import type { TestStack } from '../test/support/stack.js';
import { firstOfType } from './closed-workflows.js';

export interface Scenario {
  name: string;
  description: string;
  /** Drives the stack; returns the workflow ids to save (the first is the scenario's own). */
  run(ctx: {
    stack: TestStack;
    create: (body?: object) => Promise<string>;
    settle: (id: string, status: string) => Promise<any>;
    client: Client;
  }): Promise<string[]>;
}

const fault = (stack: TestStack, host: string, step: string, mode: string, times = 1) =>
  stack.api('PUT', `/v1/admin/hosts/${host}/faults`, { step, mode, times });

const everyHost = ['node-1', 'node-2', 'node-3'];

/** `step` fails once on node-1, the first pick; the build is ACTIVE elsewhere after a `outcome` attempt. */
const activeAfterFirstPickFails =
  (step: string, outcome: string): Scenario['run'] =>
  async ({ stack, create, settle }) => {
    await fault(stack, 'node-1', step, 'error');
    const id = await create();
    const inst = await settle(id, 'ACTIVE');
    if (inst.attempts[0]?.outcome !== outcome) {
      throw new Error(`expected a ${outcome} attempt first: ${JSON.stringify(inst.attempts)}`);
    }
    return [`instance-${id}`];
  };

/** A build whose `step` fails (injected errors, `times` on each host) wherever it goes: it ends in ERROR. */
const failingEverywhere =
  (step: string, times: number, body?: object): Scenario['run'] =>
  async ({ stack, create, settle }) => {
    for (const h of everyHost) await fault(stack, h, step, 'error', times);
    const id = await create(body);
    await settle(id, 'ERROR');
    return [`instance-${id}`];
  };

export const SCENARIOS: Scenario[] = [
  {
    name: 'success-with-volume',
    description: 'A build with a 1 GB volume: schedule, claim, pull, spawn, port, VIF, volume, attach, ACTIVE.',
    async run({ create, settle }) {
      const id = await create({ volume: { sizeGb: 1 } });
      await settle(id, 'ACTIVE');
      return [`instance-${id}`];
    },
  },
  {
    name: 'success-after-refusal',
    description:
      "node-1 (the spread weigher's first pick among equal hosts) refuses the claim (injected); " +
      'the build is ACTIVE on another host.',
    run: activeAfterFirstPickFails('claim', 'refused'),
  },
  {
    name: 'success-after-reschedule',
    description:
      'Spawn fails on node-1, the first pick (injected error); its domain and claim are undone ' +
      'and the build is ACTIVE on another host.',
    run: activeAfterFirstPickFails('spawn', 'failed'),
  },
  {
    name: 'no-valid-host',
    description:
      'Spawn fails on all three hosts; after three attempts the build is ERROR/NoValidHost ' +
      'with every attempt compensated.',
    run: failingEverywhere('spawn', 3),
  },
  {
    name: 'fail-at-plug-vif',
    description:
      'Plugging the VIF fails (injected, every retry): the port, domain and claim are compensated in reverse; ERROR.',
    run: failingEverywhere('plug_vif', 5),
  },
  {
    name: 'fail-at-attach-volume',
    description:
      'Attaching the volume fails: detach, volume delete, VIF unplug, port release, domain destroy ' +
      'and claim release run in reverse; ERROR.',
    run: failingEverywhere('attach_volume', 5, { volume: { sizeGb: 2 } }),
  },
  {
    name: 'cancel-during-spawn',
    description:
      'DELETE while the spawn hangs: the workflow is cancelled, the saga compensates and the instance is DELETED.',
    async run({ stack, create, settle }) {
      for (const h of everyHost) await fault(stack, h, 'spawn', 'hang');
      const id = await create();
      await deleteWhileSpawning(stack, id);
      await settle(id, 'DELETED');
      return [`instance-${id}`];
    },
  },
  {
    name: 'success-with-existing-volume',
    description:
      'A build that attaches a standalone volume the user made first: reserve, attach, ACTIVE ' +
      '(the volume is never deleted by the build).',
    async run({ stack, create, settle }) {
      const vol = await stack.api('POST', '/v1/volumes', { name: 'data', sizeGb: 2 });
      if (vol.status !== 201 && vol.status !== 202)
        throw new Error(`volume create failed: ${vol.status} ${JSON.stringify(vol.body)}`);
      const id = await create({ volume: { id: vol.body.id } });
      await settle(id, 'ACTIVE');
      return [`instance-${id}`];
    },
  },
  {
    name: 'delete-active',
    description:
      'An ACTIVE instance with a volume is deleted: DeleteInstance detaches and deletes the volume, ' +
      'frees the port, destroys the domain, releases the claim.',
    async run({ stack, create, settle }) {
      const id = await create({ volume: { sizeGb: 1 } });
      await settle(id, 'ACTIVE');
      await stack.api('DELETE', `/v1/instances/${id}`);
      await settle(id, 'DELETED');
      return [`delete-instance-${id}`];
    },
  },
  {
    name: 'cancel-cleanup-incomplete',
    description:
      'DELETE while the spawn hangs, and destroying the domain fails for good: the other undos run, and ' +
      'the instance ends ERROR CleanupIncomplete naming destroyDomain (patch cleanup-incomplete), not DELETED.',
    async run({ stack, create, settle }) {
      for (const h of everyHost) {
        await fault(stack, h, 'spawn', 'hang');
        await fault(stack, h, 'destroy', 'error');
      }
      const id = await create();
      await deleteWhileSpawning(stack, id);
      await settle(id, 'ERROR');
      return [`instance-${id}`];
    },
  },
  {
    name: 'delete-cleanup-incomplete',
    description:
      'An ACTIVE instance is deleted and unplugging its VIF fails for good: the other steps run, and the ' +
      'instance ends ERROR CleanupIncomplete naming unplugVif (patch cleanup-incomplete), not DELETED.',
    async run({ stack, create, settle }) {
      const id = await create();
      const { host } = await settle(id, 'ACTIVE');
      await fault(stack, host, 'unplug_vif', 'error');
      await stack.api('DELETE', `/v1/instances/${id}`);
      await settle(id, 'ERROR');
      return [`delete-instance-${id}`];
    },
  },
  {
    name: 'dhcp-state',
    description:
      "The network node's start-up question: with one ACTIVE instance, DhcpState lists its network " +
      'and the port reservation (the node then reconciles its qdhcp namespaces with it).',
    async run({ create, settle, client }) {
      await settle(await create(), 'ACTIVE');
      const workflowId = dhcpStateWorkflowId(randomUUID());
      await client.workflow.execute('DhcpState', { taskQueue: TaskQueues.workflows, workflowId });
      return [workflowId];
    },
  },
  {
    name: 'host-sync',
    description:
      "A compute agent's start-up question, through Temporal (it never reads the database): HostSync " +
      'registers node-1 and answers its desired state (instances, devices, recorded claims).',
    run: async ({ client }) => [await firstOfType(client, 'HostSync', 'node-1')],
  },
  {
    name: 'host-faults',
    description:
      'An admin arms a fault on node-1: HostFaults runs one activity on the host, which keeps its ' +
      'armed faults on its own disk, and answers what the host now holds.',
    async run({ stack, client }) {
      const res = await fault(stack, 'node-1', 'spawn', 'error');
      if (res.status !== 200) throw new Error(`arming failed: ${res.status} ${JSON.stringify(res.body)}`);
      return [await firstOfType(client, 'HostFaults', 'node-1')];
    },
  },
  {
    name: 'stop-active',
    description:
      'An ACTIVE instance is stopped: InstancePowerAction powers its domain off on its host and records ' +
      'SHUTOFF with power state 4.',
    async run({ stack, create, settle }) {
      const id = await create();
      await settle(id, 'ACTIVE');
      const res = await stack.api('POST', `/v1/instances/${id}/actions`, { action: 'stop' });
      if (res.status !== 202) throw new Error(`stop failed: ${res.status} ${JSON.stringify(res.body)}`);
      await settle(id, 'SHUTOFF');
      return [`power-${id}`];
    },
  },
  {
    name: 'attach-volume-active',
    description:
      'An available volume is attached to an ACTIVE instance: AttachVolume reserves it, exports it to ' +
      "the instance's host on the storage node and attaches it there.",
    run: ({ stack, create, settle }) => attachToActive(stack, create, settle, false),
  },
  {
    name: 'detach-volume-active',
    description:
      'A volume attached to an ACTIVE instance is detached: DetachVolume lets go on the host, then ' +
      'the storage node no longer lets the host in; the volume is available again.',
    run: ({ stack, create, settle }) => attachToActive(stack, create, settle, true),
  },
  {
    name: 'reconcile-storage',
    description:
      "A storage node's reconciliation: the control plane lists the live volumes, the storage node removes " +
      'the targets and files of every other one.',
    async run({ stack, create, settle }) {
      const id = await create({ volume: { sizeGb: 1 } });
      await settle(id, 'ACTIVE');
      const connection = await Connection.connect({ address: stack.temporalAddress });
      const client = new Client({ connection, namespace: stack.temporalNamespace });
      await client.workflow.execute('ReconcileStorage', {
        taskQueue: TaskQueues.workflows,
        workflowId: RECONCILE_STORAGE_WORKFLOW_ID,
        args: [],
      });
      await connection.close();
      return [RECONCILE_STORAGE_WORKFLOW_ID];
    },
  },
];

/** A standalone volume attached to a new ACTIVE instance through the API, then detached when asked. */
async function attachToActive(
  stack: TestStack,
  create: (body?: object) => Promise<string>,
  settle: (id: string, status: string) => Promise<any>,
  detach: boolean,
): Promise<string[]> {
  const id = await create();
  await settle(id, 'ACTIVE');
  const vol = await stack.api('POST', '/v1/volumes', { name: 'data', sizeGb: 1 });
  const volumeId: string = vol.body.id;
  const volumeIs = (status: string) =>
    stack.waitFor(
      async () => (await stack.api('GET', `/v1/volumes/${volumeId}`)).body.status === status,
      60_000,
      `volume ${status}`,
    );
  await volumeIs('available');
  const attached = await stack.api('POST', `/v1/instances/${id}/volumes`, { volumeId });
  if (attached.status !== 202) throw new Error(`attach failed: ${attached.status} ${JSON.stringify(attached.body)}`);
  await volumeIs('in-use');
  if (detach) {
    const detached = await stack.api('DELETE', `/v1/instances/${id}/volumes/${volumeId}`);
    if (detached.status !== 202) throw new Error(`detach failed: ${detached.status} ${JSON.stringify(detached.body)}`);
    await volumeIs('available');
  }
  return [volumeAttachmentWorkflowId(id, volumeId)];
}

/**
 * The volume scenarios again, with the storage node's steps (export, unexport, destroy:
 * patched 'storage-node-export'). The histories recorded before the patch stay as they
 * are, so both paths of the patch keep replaying.
 */
for (const name of ['success-with-volume', 'success-with-existing-volume', 'fail-at-attach-volume', 'delete-active']) {
  const scenario = SCENARIOS.find((s) => s.name === name)!;
  SCENARIOS.push({
    ...scenario,
    name: `${name}-storage-node`,
    description: `${scenario.description} With the storage node exporting the volume (patch storage-node-export).`,
  });
}

/** DELETE once the build is in its (hung) spawn step. */
async function deleteWhileSpawning(stack: TestStack, id: string): Promise<void> {
  await stack.waitFor(
    async () => (await stack.api('GET', `/v1/instances/${id}`)).body.taskState === 'spawning',
    30_000,
    'spawning',
  );
  await stack.api('DELETE', `/v1/instances/${id}`);
}
