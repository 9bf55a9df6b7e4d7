/**
 * `npm run record-histories`: runs real builds on the real stack (embedded PostgreSQL, the
 * Temporal dev server, the apps, fault injection through the admin API) and saves each
 * workflow's event history under test/histories/, which `npm test` replays against the
 * current workflow code. Re-record after an intentional, patched change to the workflows.
 *   npm run record-histories [-- scenario-name ...]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { REPO_ROOT } from '../core/config.js';
import { startTestStack, type TestStack } from '../test/support/stack.js';

export const HISTORIES_DIR = path.join(REPO_ROOT, 'test', 'histories');

interface Scenario {
  name: string;
  description: string;
  /** Drives the stack; returns the workflow ids to save (the first is the scenario's own). */
  run(ctx: {
    stack: TestStack;
    create: (body?: object) => Promise<string>;
    settle: (id: string, status: string) => Promise<any>;
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

const SCENARIOS: Scenario[] = [
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
      await stack.waitFor(
        async () => (await stack.api('GET', `/v1/instances/${id}`)).body.taskState === 'spawning',
        30_000,
        'spawning',
      );
      await stack.api('DELETE', `/v1/instances/${id}`);
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
];

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

async function recordScenario(scenario: Scenario): Promise<void> {
  // A stack of its own per scenario: faults and capacity never leak from one to the next.
  const stack = await startTestStack({ env: { NIMBUS_HYPERVISOR_DELAY_MS: '20' } });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.temporalNamespace });
  try {
    let n = 0;
    const create = async (extra: object = {}) => {
      const res = await stack.api('POST', '/v1/instances', {
        name: `${scenario.name}-${++n}`,
        flavor: 'm1.tiny',
        image: 'cirros',
        network: 'default',
        ...extra,
      });
      if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    };
    const settle = (id: string, status: string) =>
      stack.waitFor(
        async () => {
          const { body } = await stack.api('GET', `/v1/instances/${id}`);
          return body.status === status && body.taskState === null ? body : null;
        },
        90_000,
        `${id} ${status}`,
      );
    const [workflowId] = await scenario.run({ stack, create, settle });
    const handle = client.workflow.getHandle(workflowId);
    await handle.result().catch(() => undefined); // Failed and cancelled builds are histories too.
    const history = await handle.fetchHistory();
    const description = await handle.describe();
    const file = path.join(HISTORIES_DIR, `${scenario.name}.json`);
    await writeFile(
      file,
      // The history in the proto3 JSON form `temporal workflow show --output json` prints.
      JSON.stringify(
        {
          scenario: scenario.name,
          description: scenario.description,
          workflowId,
          workflowType: description.type,
          status: description.status.name,
          history: JSON.parse(historyToJSON(history)),
        },
        null,
        1,
      ) + '\n',
    );
    const saved = path.relative(REPO_ROOT, file);
    console.log(
      `${scenario.name}: ${description.type} ${description.status.name}, ${history.events?.length} events → ${saved}`,
    );
  } catch (err) {
    console.error(stack.logs(80).join('\n'));
    throw err;
  } finally {
    await connection.close();
    await stack.stop();
  }
}

const wanted = process.argv.slice(2);
await mkdir(HISTORIES_DIR, { recursive: true });
for (const scenario of SCENARIOS) {
  if (wanted.length === 0 || wanted.includes(scenario.name)) await recordScenario(scenario);
}
