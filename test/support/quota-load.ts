import { performance } from 'node:perf_hooks';
import type { TestStack } from './stack.js';

/**
 * A bounded load on one stack, on loopback: `projects` projects, each with an instance quota,
 * send `creates` concurrent POST /v1/instances between them (a fixed number, then it stops),
 * while one reader times GET /v1/instances/{id} until the builds settle. Shared by the load
 * test (which checks quotas and capacity) and the benchmark (which reports the GET latency).
 */
export interface QuotaLoadOptions {
  projects: number;
  instancesPerProject: number;
  creates: number;
  /** How long the builds may take to settle before the run gives up. */
  settleTimeoutMs: number;
  /** The network the builds join (default `default`). */
  network?: string;
}

export interface QuotaLoadResult {
  projects: Array<{ id: string; token: string; quota: number; accepted: string[]; refused: number[] }>;
  /** Statuses of POSTs that were neither 202 nor the quota's 403 (each one is a defect). */
  unexpected: Array<{ status: number; body: unknown }>;
  /** Final status of every accepted build: ACTIVE or ERROR, with the fault code of an ERROR. */
  outcomes: Map<string, { status: string; fault: string | null }>;
  postMs: number[];
  getMs: number[];
  seconds: number;
}

export async function runQuotaLoad(stack: TestStack, options: QuotaLoadOptions): Promise<QuotaLoadResult> {
  const projects: QuotaLoadResult['projects'] = [];
  for (let p = 0; p < options.projects; p++) {
    const quotas = { instances: options.instancesPerProject };
    const created = await stack.api('POST', '/v1/projects', { name: `load-${p}`, quotas });
    if (created.status !== 201) throw new Error(`project: ${created.status} ${JSON.stringify(created.body)}`);
    const token = await stack.api('POST', `/v1/projects/${created.body.id}/tokens`, { name: 'load' });
    if (token.status !== 201) throw new Error(`token: ${token.status} ${JSON.stringify(token.body)}`);
    projects.push({ id: created.body.id, token: token.body.token, quota: quotas.instances, accepted: [], refused: [] });
  }

  const started = performance.now();
  const postMs: number[] = [];
  const getMs: number[] = [];
  const unexpected: QuotaLoadResult['unexpected'] = [];
  let posting = true;
  // One reader times GETs of accepted builds until every build has settled.
  const reader = (async () => {
    let n = 0;
    while (posting) {
      const project = projects[n++ % projects.length];
      const id = project.accepted[n % Math.max(1, project.accepted.length)];
      if (!id) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const t0 = performance.now();
      await stack.api('GET', `/v1/instances/${id}`, undefined, { token: project.token });
      getMs.push(performance.now() - t0);
    }
  })();

  await Promise.all(
    Array.from({ length: options.creates }, async (_, i) => {
      const project = projects[i % projects.length];
      const t0 = performance.now();
      const res = await stack.api(
        'POST',
        '/v1/instances',
        { name: `load-${i}`, flavor: 'm1.tiny', image: 'cirros', network: options.network ?? 'default' },
        { token: project.token },
      );
      postMs.push(performance.now() - t0);
      if (res.status === 202) project.accepted.push(res.body.id);
      else if (res.status === 403 && res.body?.type === 'urn:nimbus:problem:quota-exceeded') project.refused.push(i);
      else unexpected.push({ status: res.status, body: res.body });
    }),
  );

  const outcomes = new Map<string, { status: string; fault: string | null }>();
  try {
    for (const project of projects) {
      for (const id of project.accepted) {
        const view = await stack.waitFor(
          async () => {
            const { body } = await stack.api('GET', `/v1/instances/${id}`, undefined, { token: project.token });
            return body.status !== 'BUILD' && body.taskState === null ? body : null;
          },
          options.settleTimeoutMs,
          `instance ${id} settled`,
        );
        outcomes.set(id, { status: view.status, fault: view.fault?.code ?? null });
      }
    }
  } finally {
    posting = false;
    await reader;
  }
  return { projects, unexpected, outcomes, postMs, getMs, seconds: (performance.now() - started) / 1000 };
}
