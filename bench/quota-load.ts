import { runQuotaLoad } from '../test/support/quota-load.js';
import type { TestStack } from '../test/support/stack.js';
import { summarize, type LatencySummary } from './stats.js';

export interface QuotaLoadFigures {
  creates: number;
  projects: number;
  quotaPerProject: number;
  accepted: number;
  refusedByQuota: number;
  unexpected: number;
  active: number;
  settledSeconds: number;
  post: LatencySummary;
  /** GET /v1/instances/{id} from one reader while the creates and their builds run. */
  getUnderLoad: LatencySummary;
}

/**
 * The load test's scenario (test/e2e/load-quotas.test.ts) on the benchmark's stack: 200
 * concurrent creates from 4 projects at a quota of 15 each, bounded, on loopback; it reports
 * the latency of POST and of GET under that load. Its builds are deleted afterwards.
 */
export async function benchQuotaLoad(stack: TestStack): Promise<QuotaLoadFigures> {
  const [creates, projects, quota] = [200, 4, 15];
  // Beside the other phases' builds, a network of its own so that addresses never run out.
  const segmentation = { type: 'vlan', id: 660 };
  const net = await stack.api('POST', '/v1/networks', { name: 'load', cidr: '10.66.0.0/24', segmentation });
  if (net.status !== 201) throw new Error(`POST /v1/networks: ${net.status} ${JSON.stringify(net.body)}`);
  const load = await runQuotaLoad(stack, {
    network: 'load',
    projects,
    instancesPerProject: quota,
    creates,
    settleTimeoutMs: 120_000,
  });
  const accepted = load.projects.flatMap((p) => p.accepted);
  for (const project of load.projects) {
    for (const id of project.accepted) {
      await stack.api('DELETE', `/v1/instances/${id}`, undefined, { token: project.token });
    }
  }
  return {
    creates,
    projects,
    quotaPerProject: quota,
    accepted: accepted.length,
    refusedByQuota: load.projects.reduce((n, p) => n + p.refused.length, 0),
    unexpected: load.unexpected.length,
    active: [...load.outcomes.values()].filter((o) => o.status === 'ACTIVE').length,
    settledSeconds: Math.round(load.seconds * 10) / 10,
    post: summarize(load.postMs),
    getUnderLoad: summarize(load.getMs),
  };
}
