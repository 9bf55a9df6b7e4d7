/**
 * The simulated-hosts mode of the compute agent (apps/compute-agent/simulated-hosts.ts), which
 * `npm run bench -- scale` runs a thousand hosts with: on a stack without regular agents, one
 * process registers 20 hosts that heartbeat and serve their own queues, and builds land on them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capacityCheck } from '../../bench/scale-checks.js';
import { startFleet } from '../../bench/scale-fleet.js';
import { waitBuildEnded } from '../support/instances.js';
import { useStack } from '../support/use-stack.js';

const HOSTS = 20;
const BUILDS = 10;
const TINY = { vcpus: 1, ramMb: 512, diskGb: 1 };

describe('simulated hosts', () => {
  const { stack, db } = useStack({
    agents: [],
    db: true,
    // A random one of all fitting hosts: ten builds at once rarely race for the same host.
    env: { NIMBUS_HYPERVISOR_DELAY_MS: '0', NIMBUS_SCHEDULER_HOST_SUBSET_SIZE: String(HOSTS) },
  });

  it('20 hosts in one process register, heartbeat and take 10 builds at once: all ACTIVE, none over capacity', async () => {
    // Two m1.tiny per host: ten builds need five hosts at least.
    await startFleet(stack, db, { hosts: HOSTS, slots: 2 * HOSTS, prefix: 'sim-', pollersPerHost: 1 });
    const listed = await stack.api<Array<{ name: string; status: string; ramMb: number; hypervisorType: string }>>(
      'GET',
      '/v1/hosts?status=up',
    );
    const sim = listed.body.filter((h) => h.name.startsWith('sim-'));
    assert.equal(sim.length, HOSTS);
    assert.ok(sim.every((h) => h.ramMb === 1024 && h.hypervisorType === 'fake'));

    const posted = await Promise.all(
      Array.from({ length: BUILDS }, (_, i) =>
        stack.api('POST', '/v1/instances', {
          name: `sim-build-${i}`,
          flavor: 'm1.tiny',
          image: 'cirros',
          network: 'default',
        }),
      ),
    );
    assert.deepEqual(
      posted.map((p) => p.status),
      Array(BUILDS).fill(202),
    );
    const ended = await Promise.all(posted.map((p) => waitBuildEnded(stack, p.body.id, 20_000)));
    assert.deepEqual(
      ended.map((i) => [i.status, i.fault?.code]),
      Array(BUILDS).fill(['ACTIVE', undefined]),
    );
    const used = new Set(ended.map((i) => i.host));
    assert.ok([...used].every((h) => h.startsWith('sim-')));
    assert.ok(used.size >= BUILDS / 2, `spread over ${used.size} hosts`);
    const check = await capacityCheck(db, 'sim-', TINY);
    assert.deepEqual([check.hosts, check.overCapacity, check.violations], [HOSTS, [], []]);
    assert.equal(check.freeSlots, 2 * HOSTS - BUILDS);
  });
});
