/**
 * A bounded load on loopback (issue 16): 200 concurrent creates from 4 projects, each with a
 * quota of 15 instances, on 3 hosts with room for 14 m1.tiny each (7 GB of RAM). Every
 * project ends with exactly its quota accepted and the rest refused with the quota's 403; the
 * 60 accepted builds end ACTIVE (as many as the hosts hold: 42) or NoValidHost, which gives its
 * share of the quota back; no host holds more than its capacity, and each host's usage equals
 * its claims. The latency of GET under
 * this load is the benchmark's to report (bench/), not this test's to judge.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarize } from '../../bench/stats.js';
import { capacityCheck } from '../../bench/scale-checks.js';
import { runQuotaLoad } from '../support/quota-load.js';
import { useStack } from '../support/use-stack.js';
import { violations } from '../support/invariants.js';

const PROJECTS = 4;
const QUOTA = 15;
const CREATES = 200;
const TINY_PER_HOST = 14;

describe('200 concurrent creates from 4 projects at their quotas', () => {
  const { stack, db } = useStack({
    db: true,
    env: {
      NIMBUS_HYPERVISOR_DELAY_MS: '0',
      NIMBUS_HOST_VCPUS: '16',
      NIMBUS_HOST_RAM_MB: String(TINY_PER_HOST * 512),
      NIMBUS_HOST_DISK_GB: '100',
    },
  });

  it('leaves no project over its quota and no host over-committed', async (t) => {
    const load = await runQuotaLoad(stack, {
      projects: PROJECTS,
      instancesPerProject: QUOTA,
      creates: CREATES,
      settleTimeoutMs: 120_000,
    });
    assert.deepEqual(load.unexpected, [], 'every POST is accepted or refused by the quota');
    for (const project of load.projects) {
      assert.equal(project.accepted.length, QUOTA, `project ${project.id} got exactly its quota`);
      assert.equal(project.refused.length, CREATES / PROJECTS - QUOTA);
      // A build that ended ERROR gives its share back; the ACTIVE ones hold it.
      const usage = (await stack.api('GET', `/v1/projects/${project.id}`)).body.usage;
      const active = project.accepted.filter((id) => load.outcomes.get(id)?.status === 'ACTIVE');
      assert.equal(usage.instances, active.length);
    }

    const outcomes = [...load.outcomes.values()];
    const active = outcomes.filter((o) => o.status === 'ACTIVE').length;
    const others = outcomes.filter((o) => o.status !== 'ACTIVE');
    assert.equal(outcomes.length, PROJECTS * QUOTA);
    assert.equal(active, 3 * TINY_PER_HOST, 'the hosts are filled, and no more');
    assert.deepEqual([...new Set(others.map((o) => `${o.status} ${o.fault}`))], ['ERROR NoValidHost']);
    // No host holds more than its capacity × ratio, by its claims or its recorded usage; the
    // invariant checker below also holds each host's usage to the sum of its claims.
    assert.deepEqual((await capacityCheck(db, '', { vcpus: 1, ramMb: 512, diskGb: 1 })).overCapacity, []);
    assert.deepEqual(await violations(stack, db), [], 'nothing leaked by the refused and failed builds');
    const [post, get] = [summarize(load.postMs), summarize(load.getMs)];
    t.diagnostic(
      `${CREATES} POSTs, settled in ${load.seconds.toFixed(1)} s; POST p50 ${post.p50Ms} ms, p99 ${post.p99Ms} ms; ` +
        `GET under load p99 ${get.p99Ms} ms (${get.count} GETs)`,
    );
  });
});
