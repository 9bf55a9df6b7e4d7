import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach } from 'node:test';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { FaultCodes } from '../../contracts/errors.js';
import type { BuildProgress, CreateInstanceInput, DeleteInstanceInput } from '../../contracts/instances.js';
import { STATUS_QUERY } from '../../contracts/instances.js';
import { ComputeHostKey, InstanceIdKey, InstanceStatusKey, ProjectIdKey } from '../../contracts/search-attributes.js';
import { TaskQueues, createInstanceWorkflowId, deleteInstanceWorkflowId } from '../../contracts/task-queues.js';
import type { CreateInstance } from '../../workflows/create-instance.js';
import type { DeleteInstance } from '../../workflows/delete-instance.js';
import { lateBound } from '../support/late-bound.js';
import { useWorkflowEnv } from '../support/workflow-env.js';
import { FakeCloud, HOSTS } from './fake-cloud.js';
import type { FaultRule } from './fake-faults.js';

/** A host the scheduler may offer but whose queue nobody polls: a dead host. */
export const DEAD_HOST = 'node-4';
/** Small, so a dead host costs a test two seconds rather than ten. */
export const PICKUP_SEC = 2;

export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  cloud: FakeCloud;
}

/**
 * For the tests of this file or `describe` block: the dev server, a fake cloud and workers
 * for every queue but the dead host's. The cloud is reset before each test.
 */
export function useHarness(): Harness {
  const cloud = new FakeCloud();
  const env = useWorkflowEnv(() => ({
    records: cloud.recordsActivities(),
    activityQueues: cloud.activityQueues(HOSTS),
  }));
  beforeEach(() => cloud.reset());
  return { env, client: lateBound('the workflow client', () => env.client), cloud };
}

/** Attaching a volume on node-1 fails for good, the attachment half made on the host first. */
export const ATTACH_FAILS_ON_NODE_1: FaultRule = {
  queue: 'compute.node-1',
  activity: 'attachVolume',
  mode: 'fatal',
  type: FaultCodes.HostStepFailed,
  when: 'after',
};

/** A wired build on compute queue `q` taken apart, newest first: VIF, port, domain, claim (host's, then record). */
export const unwiredOn = (q: string): string[] => [
  `${q}:unplugVif`,
  'network-node:removeDhcpReservation',
  'network:deallocatePort',
  `${q}:destroyDomain`,
  `${q}:releaseHostClaim`,
  'scheduler:releaseClaim',
];

export function createInput(overrides: Partial<CreateInstanceInput> = {}): CreateInstanceInput {
  return {
    instanceId: randomUUID(),
    projectId: 'project-1',
    name: 'web-1',
    flavor: { id: 'flavor-small', name: 'm1.small', vcpus: 1, ramMb: 2048, diskGb: 20 },
    image: { id: 'image-cirros', name: 'cirros', sha256: 'a'.repeat(64), sizeBytes: 1024 },
    networkId: 'net-1',
    hostPickupTimeoutSec: PICKUP_SEC,
    ...overrides,
  };
}

export function startCreate(h: Harness, input: CreateInstanceInput): Promise<WorkflowHandle<typeof CreateInstance>> {
  return h.client.workflow.start<typeof CreateInstance>('CreateInstance', {
    taskQueue: TaskQueues.workflows,
    workflowId: createInstanceWorkflowId(input.instanceId),
    args: [input],
    typedSearchAttributes: [
      { key: InstanceIdKey, value: input.instanceId },
      { key: ProjectIdKey, value: input.projectId },
      { key: InstanceStatusKey, value: 'BUILD' }, // as the API starts it
    ],
  });
}

/** Starts DeleteInstance; with `status`, the workflow carries an InstanceStatus to keep current. */
export function startDelete(
  h: Harness,
  input: DeleteInstanceInput,
  status?: string,
): Promise<WorkflowHandle<typeof DeleteInstance>> {
  return h.client.workflow.start<typeof DeleteInstance>('DeleteInstance', {
    taskQueue: TaskQueues.workflows,
    workflowId: deleteInstanceWorkflowId(input.instanceId),
    args: [{ hostPickupTimeoutSec: PICKUP_SEC, ...input }],
    typedSearchAttributes: [
      { key: InstanceIdKey, value: input.instanceId },
      ...(status ? [{ key: InstanceStatusKey, value: status }] : []),
    ],
  });
}

export function queryStatus(handle: WorkflowHandle): Promise<BuildProgress> {
  return handle.query<BuildProgress>(STATUS_QUERY);
}

/** The workflow's failure, which must be an ApplicationFailure (of `type`, when given). */
export async function buildFailure(handle: WorkflowHandle, type?: string): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    () => assert.fail('the build should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
  assert.ok(err.cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err.cause)}`);
  if (type !== undefined) assert.equal(err.cause.type, type);
  return err.cause;
}

/** The build's InstanceStatus and ComputeHost search attributes, as the Web UI lists them. */
export async function searchAttributes(handle: WorkflowHandle): Promise<{ status?: string; host?: string }> {
  const { typedSearchAttributes } = await handle.describe();
  return { status: typedSearchAttributes.get(InstanceStatusKey), host: typedSearchAttributes.get(ComputeHostKey) };
}
