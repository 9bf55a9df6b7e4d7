/**
 * The real stack as the scheduler tests use it (three seeded hosts of 8 vCPU × 4.0,
 * 16384 MB, 160 GB): the hosts view, builds by flavor, and waiting for them. Each case
 * starts from empty hosts and leaves them empty: after each, faults are cleared and the
 * case's instances deleted.
 */
import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import { clearFaults } from './fault-cases.js';
import { waitBuildEnded } from './instances.js';
import type { TestStack } from './stack.js';
import { useStack } from './use-stack.js';

export const HOSTS = ['node-1', 'node-2', 'node-3'];
export const PICKUP_SEC = 3;

export interface HostRow {
  name: string;
  status: string;
  instances: number;
  vcpus: number;
  vcpusUsed: number;
  vcpusFree: number;
  cpuAllocationRatio: number;
  ramMb: number;
  ramMbUsed: number;
  ramMbFree: number;
  ramAllocationRatio: number;
  diskGb: number;
  diskGbUsed: number;
  diskGbFree: number;
  diskAllocationRatio: number;
}

export interface SchedulerStack {
  stack: TestStack;
  /** The seeded hosts as GET /v1/hosts shows them. */
  hosts: () => Promise<HostRow[]>;
  /** Starts a build of `flavor` (deleted after the case) and returns its id. */
  build: (name: string, flavor: string) => Promise<string>;
  /** The instance once ACTIVE or ERROR. */
  settled: (id: string, timeoutMs?: number) => Promise<any>;
  /** Asserts that no host holds anything. */
  assertEmpty: () => Promise<void>;
}

/** For the tests of this file or `describe` block, as useStack; `env` adds to (or overrides) the stack's. */
export function useSchedulerStack(env: Record<string, string> = {}): SchedulerStack {
  const built: string[] = [];

  const { stack } = useStack({
    env: {
      NIMBUS_HYPERVISOR_DELAY_MS: '50',
      // A stopped agent is noticed by the build that picks its host within 3 s …
      NIMBUS_HOST_PICKUP_TIMEOUT: String(PICKUP_SEC),
      // … well before its missing heartbeats mark it down, so that case has a build to move.
      NIMBUS_SERVICE_DOWN_TIME: '10',
      ...env,
    },
  });

  afterEach(async () => {
    // A host's faults are its agent's: one stopped on purpose keeps them, and is not asked.
    for (const host of HOSTS) if (stack.supervisor.isRunning(host)) await clearFaults(stack, host);
    await deleteAll(built.splice(0));
  });

  async function hosts(): Promise<HostRow[]> {
    const res = await stack.api<HostRow[]>('GET', '/v1/hosts');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.filter((h) => HOSTS.includes(h.name));
  }

  async function build(name: string, flavor: string): Promise<string> {
    const res = await stack.api('POST', '/v1/instances', { name, flavor, image: 'cirros', network: 'default' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    built.push(res.body.id);
    return res.body.id;
  }

  async function deleteAll(ids: string[]): Promise<void> {
    for (const id of ids) await stack.api('DELETE', `/v1/instances/${id}`);
    for (const id of ids) {
      await stack.waitFor(
        async () => (await stack.api('GET', `/v1/instances/${id}`)).body.status === 'DELETED',
        60_000,
        `${id} DELETED`,
      );
    }
    await stack.waitFor(
      async () => (await hosts()).every((h) => h.ramMbUsed === 0 && h.instances === 0),
      30_000,
      'hosts empty',
    );
  }

  async function assertEmpty(): Promise<void> {
    for (const h of await hosts())
      assert.deepEqual([h.name, h.vcpusUsed, h.ramMbUsed, h.diskGbUsed, h.instances], [h.name, 0, 0, 0, 0]);
  }

  return {
    stack,
    hosts,
    build,
    settled: (id, timeoutMs = 90_000) => waitBuildEnded(stack, id, timeoutMs),
    assertEmpty,
  };
}
