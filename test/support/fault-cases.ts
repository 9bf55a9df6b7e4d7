import assert from 'node:assert/strict';
import type { Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { computeQueue } from '../../contracts/task-queues.js';
import type { TestStack } from './stack.js';

/**
 * Building blocks of the saga's failure tests (test/e2e/saga-*.test.ts, crash-*.test.ts):
 * short timeouts so a hang or a crash ends within seconds, pinning a build to chosen hosts,
 * arming faults through the admin API, and waiting for an instance to settle.
 */

/** Timeouts that make a hang end in seconds (each is an operator-facing variable). */
export const FAST_FAILURE_ENV = {
  NIMBUS_HYPERVISOR_DELAY_MS: '20',
  NIMBUS_HOST_PICKUP_TIMEOUT: '5',
  NIMBUS_HOST_STEP_TIMEOUT: '3',
  NIMBUS_HOST_HEARTBEAT_TIMEOUT: '3',
  NIMBUS_RECONCILE_INTERVAL: '2',
  NIMBUS_CLEANUP_REPAIR_INTERVAL: '2',
};

export const HOSTS = ['node-1', 'node-2', 'node-3'] as const;

/** temporal.api.enums.v1.TaskQueueType (the proto package is not a direct dependency). */
const TASK_QUEUE_TYPE_ACTIVITY = 2;

export type InjectionMode = 'error' | 'hang' | 'crash';

export interface InstanceBody {
  id: string;
  status: string;
  taskState: string | null;
  host: string | null;
  attempts: Array<{ host: string; outcome: string; reason: string | null }>;
  fault: { code: string; message: string; step: string | null; host: string | null } | null;
}

/** Only these hosts take new builds (a disabled host keeps what it already claimed). */
export async function enableOnly(stack: TestStack, hosts: readonly string[]): Promise<void> {
  for (const name of HOSTS) {
    const res = await stack.api('PUT', `/v1/hosts/${name}`, { disabled: !hosts.includes(name), reason: 'saga test' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
}

/**
 * Waits until the host's current agent process polls its queue: a poller whose identity
 * (`pid@hostname`) is that process's. After a crash the supervisor restarts the agent,
 * which registers, reconciles and only then serves `compute.HOST`.
 */
export async function waitAgentServing(
  stack: TestStack,
  temporal: Connection,
  host: string,
  ms = 30_000,
): Promise<void> {
  await stack.waitFor(
    async () => {
      const pid = stack.supervisor.pid(host);
      if (pid === undefined) return false;
      const { pollers } = await temporal.workflowService.describeTaskQueue({
        namespace: stack.temporalNamespace,
        taskQueue: { name: computeQueue(host) },
        taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
      });
      return (pollers ?? []).some((p) => p.identity?.startsWith(`${pid}@`));
    },
    ms,
    `${host}'s agent serving its queue`,
  );
}

/**
 * A request to a host's faults, which its agent answers (through Temporal). An agent that
 * crashed on an injected fault is back within seconds (the supervisor restarts it): until
 * then the API answers 503, so ask again. Arming and clearing are idempotent.
 */
async function hostFaults(stack: TestStack, method: string, host: string, body?: unknown, ms = 30_000) {
  return stack.waitFor(
    async () => {
      const res = await stack.api(method, `/v1/admin/hosts/${host}/faults`, body);
      if (res.status === 503) throw new Error(`${res.status}: ${JSON.stringify(res.body)}`);
      return res;
    },
    ms,
    `${host}'s agent answering ${method} faults`,
  );
}

export async function armFault(
  stack: TestStack,
  host: string,
  step: string,
  mode: InjectionMode,
  times = 1,
): Promise<void> {
  const res = await hostFaults(stack, 'PUT', host, { step, mode, times });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

export async function clearFaults(stack: TestStack, host: string): Promise<void> {
  assert.equal((await hostFaults(stack, 'DELETE', host)).status, 204);
}

/** How many firings are left of a host's fault on a step (0 once it has fired `times` times). */
export async function faultTimesLeft(stack: TestStack, host: string, step: string): Promise<number> {
  const { status, body } = await hostFaults(stack, 'GET', host);
  assert.equal(status, 200, JSON.stringify(body));
  return body.find((f: any) => f.step === step)?.times ?? 0;
}

export async function createInstance(stack: TestStack, name: string, volume = false): Promise<string> {
  const res = await stack.api('POST', '/v1/instances', {
    name,
    flavor: 'm1.tiny',
    image: 'cirros',
    network: 'default',
    ...(volume ? { volume: { sizeGb: 1 } } : {}),
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.id;
}

export async function getInstance(stack: TestStack, id: string): Promise<InstanceBody> {
  return (await stack.api('GET', `/v1/instances/${id}`)).body;
}

/** Polls until the instance leaves BUILD; fails with the stack's logs if it does not within `ms`. */
export async function waitSettled(
  stack: TestStack,
  id: string,
  ms = 60_000,
  statuses = ['ACTIVE', 'ERROR', 'DELETED'],
): Promise<InstanceBody> {
  try {
    return await stack.waitFor(
      async () => {
        const body = await getInstance(stack, id);
        return statuses.includes(body.status) ? body : null;
      },
      ms,
      `instance ${id} to reach ${statuses.join('/')}`,
    );
  } catch (err) {
    const last = await getInstance(stack, id).catch(() => null);
    throw new Error(`${(err as Error).message}; last seen ${JSON.stringify(last)}\n${stack.logs(40).join('\n')}`, {
      cause: err,
    });
  }
}

/** Polls until the build has claimed a host (the instance shows it) and returns that host. */
export async function waitPlaced(stack: TestStack, id: string, ms = 30_000): Promise<string> {
  return stack.waitFor(
    async () => {
      const body = await getInstance(stack, id);
      assert.equal(body.status, 'BUILD', `instance ${id} settled before it was placed: ${JSON.stringify(body)}`);
      return body.host;
    },
    ms,
    `instance ${id} placed on a host`,
  );
}

/** Deletes an instance and waits for DELETED; deleting it again changes nothing. */
export async function deleteAndWait(stack: TestStack, id: string, ms = 60_000): Promise<InstanceBody> {
  assert.equal((await stack.api('DELETE', `/v1/instances/${id}`)).status, 202);
  return waitSettled(stack, id, ms, ['DELETED']);
}

/** The undos of a build that failed attaching its new volume on `host`, in the order the saga runs them. */
export function attachFailureUndos(host: string): string[] {
  return [
    `detachVolume(${host})`,
    'destroyVolume',
    'deleteVolume',
    `unplugVif(${host})`,
    'removeDhcpReservation',
    'deallocatePort',
    `destroyDomain(${host})`,
    `releaseHostClaim(${host})`,
    `releaseClaim(${host})`,
  ];
}

/** The undos of an instance that completed (`undo:*` actions, prefix dropped), in order. */
export async function undone(db: DataSource, instanceId: string): Promise<string[]> {
  const rows: Array<{ step: string }> = await db.query(
    `SELECT step FROM instance_actions WHERE instance_id = $1 AND outcome = 'compensated' ORDER BY started_at`,
    [instanceId],
  );
  return rows.map((r) => r.step.replace(/^undo:/, ''));
}
