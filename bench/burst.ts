/**
 * The API under a burst (issue 17): N concurrent `POST /v1/instances` from one project, each
 * timed until its answer; then the builds are left to settle and counted, the project's quota
 * usage is compared with what is left running, and the leak checker must be clean.
 *
 *   node dist/bench/run.js burst [--requests 100] [--echo]   (npm run bench -- burst)
 *
 * Standalone it starts the test stack as the issue measured it: three seeded hosts (room for 96
 * m1.tiny), the fake driver at zero delay. The main bench calls `benchBurst` on its own stack.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startTestStack } from '../test/support/stack.js';
import { BenchHttp } from './http.js';
import { summarize, type LatencySummary } from './stats.js';

export interface BurstResults {
  requests: number;
  /** 202s, and every other answer by status. */
  accepted: number;
  refused: Record<string, number>;
  /** From the first POST sent to the last answer. */
  wallSeconds: number;
  createsPerSecond: number;
  latency: LatencySummary;
  /** From the first POST until every build had left BUILD (or the wait gave up). */
  settleSeconds: number;
  outcome: { active: number; error: number; building: number; faults: Record<string, number> };
  /** Usage the API reports for the project once settled, and what the instances left running take. */
  quota: { reported: Usage; expected: Usage; exact: boolean };
  invariantsOk: boolean;
}

interface Usage {
  instances: number;
  vcpus: number;
  ramMb: number;
  volumeGb: number;
}

interface Target {
  apiUrl: string;
  adminToken: string;
}

const SETTLE_TIMEOUT_MS = 180_000;

/** One burst against a running stack, from a project of its own with room for every request. */
export async function benchBurst(
  target: Target,
  opts: { requests: number; name?: string; ownNetwork?: boolean },
): Promise<BurstResults> {
  const { requests } = opts;
  const admin = new BenchHttp(target.apiUrl, target.adminToken, 4);
  const name = opts.name ?? `burst-${Date.now().toString(36)}`;
  // Beside other builds (the main bench), a network of its own so that addresses never run out.
  let network = 'default';
  if (opts.ownNetwork) {
    const prefix = 32 - Math.ceil(Math.log2(requests + 8));
    const segmentation = { type: 'vlan', id: 650 };
    const net = await admin.request('POST', '/v1/networks', { name, cidr: `10.65.0.0/${prefix}`, segmentation });
    if (net.status !== 201) throw new Error(`POST /v1/networks: ${net.status} ${JSON.stringify(net.body)}`);
    network = name;
  }
  const quotas = { instances: requests * 2, vcpus: requests * 2, ramMb: requests * 1024, volumeGb: null };
  const project = await admin.request('POST', '/v1/projects', { name, quotas });
  if (project.status !== 201) throw new Error(`POST /v1/projects: ${project.status} ${JSON.stringify(project.body)}`);
  const token = await admin.request('POST', `/v1/projects/${project.body.id}/tokens`, { name: 'burst' });
  // One socket per request: every POST is in flight at once, as 100 clients would send them.
  const http = new BenchHttp(target.apiUrl, token.body.token, requests + 4);
  try {
    const body = (i: number) => ({
      name: `${name}-${i}`,
      flavor: 'm1.tiny',
      image: 'cirros',
      network,
    });
    // Open the connections first, so the burst times the API, not TCP handshakes.
    await Promise.all(Array.from({ length: requests }, () => http.request('GET', '/v1/flavors')));
    const t0 = performance.now();
    const replies = await Promise.all(
      Array.from({ length: requests }, async (_, i) => {
        const start = performance.now();
        const res = await http.request<{ id: string }>('POST', '/v1/instances', body(i));
        return { status: res.status, id: res.body?.id, ms: performance.now() - start };
      }),
    );
    const wallSeconds = (performance.now() - t0) / 1000;
    const accepted = replies.filter((r) => r.status === 202);
    const refused: Record<string, number> = {};
    for (const r of replies) if (r.status !== 202) refused[r.status] = (refused[r.status] ?? 0) + 1;

    const ids = new Set(accepted.map((r) => r.id));
    let rows: Array<{ id: string; status: string; taskState: string | null; fault: { code: string } | null }> = [];
    for (const deadline = Date.now() + SETTLE_TIMEOUT_MS; Date.now() < deadline; await sleep(500)) {
      const res = await http.request<typeof rows>('GET', '/v1/instances');
      rows = (Array.isArray(res.body) ? res.body : []).filter((r) => ids.has(r.id));
      if (rows.length === ids.size && rows.every((r) => r.status !== 'BUILD' && r.taskState === null)) break;
    }
    const settleSeconds = (performance.now() - t0) / 1000;
    const faults: Record<string, number> = {};
    for (const r of rows) if (r.fault) faults[r.fault.code] = (faults[r.fault.code] ?? 0) + 1;
    const active = rows.filter((r) => r.status === 'ACTIVE').length;
    const reported: Usage = (await admin.request('GET', `/v1/projects/${project.body.id}`)).body.usage;
    const expected: Usage = { instances: active, vcpus: active, ramMb: active * 512, volumeGb: 0 };
    const invariants = await admin.request<{ ok: boolean }>('GET', '/v1/admin/invariants');
    return {
      requests,
      accepted: accepted.length,
      refused,
      wallSeconds: round(wallSeconds),
      createsPerSecond: round(accepted.length / wallSeconds),
      latency: summarize(replies.map((r) => r.ms)),
      settleSeconds: round(settleSeconds),
      outcome: {
        active,
        error: rows.filter((r) => r.status === 'ERROR').length,
        building: rows.filter((r) => r.status === 'BUILD').length,
        faults,
      },
      quota: { reported, expected, exact: JSON.stringify(reported) === JSON.stringify(expected) },
      invariantsOk: invariants.body?.ok === true,
    };
  } finally {
    http.close();
    admin.close();
  }
}

export function formatBurst(b: BurstResults): string {
  const l = b.latency;
  const refused = Object.entries(b.refused).map(([s, n]) => `${n}×${s}`);
  const faults = Object.entries(b.outcome.faults).map(([c, n]) => `${n} ${c}`);
  return [
    `burst: ${b.requests} concurrent POST /v1/instances (one project, m1.tiny): ${b.accepted} accepted` +
      (refused.length ? `, refused ${refused.join(', ')}` : ''),
    `  per request p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms; ` +
      `${b.createsPerSecond} creates/s over ${b.wallSeconds} s`,
    `  settled in ${b.settleSeconds} s: ${b.outcome.active} ACTIVE, ${b.outcome.error} ERROR` +
      (faults.length ? ` (${faults.join(', ')})` : '') +
      (b.outcome.building ? `, ${b.outcome.building} still BUILD` : ''),
    `  quota usage ${b.quota.exact ? 'exact' : 'WRONG'} (${JSON.stringify(b.quota.reported)}), ` +
      `invariants ${b.invariantsOk ? 'clean' : 'VIOLATED'}`,
  ].join('\n');
}

/** Whether a burst went as it must: nothing lost, usage exact, nothing leaked. */
export function burstHealthy(b: BurstResults): boolean {
  return b.outcome.building === 0 && b.quota.exact && b.invariantsOk && b.accepted === b.requests;
}

/** `npm run bench -- burst`: the set-up (three seeded hosts), one burst, its figures. */
export async function burstMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { requests: { type: 'string', default: '100' }, echo: { type: 'boolean', default: false } },
  });
  const requests = Number(values.requests);
  if (!Number.isInteger(requests) || requests < 1) throw new Error('--requests must be an integer >= 1');
  const stack = await startTestStack({
    env: { NIMBUS_HYPERVISOR_DELAY_MS: '0', NIMBUS_LOG_LEVEL: 'warn' },
    echo: values.echo,
  });
  try {
    const result = await benchBurst(stack, { requests });
    console.log(formatBurst(result));
    console.log(JSON.stringify(result));
    return burstHealthy(result) ? 0 : 1;
  } catch (err) {
    console.error(err);
    console.error(`Last stack output:\n${stack.logs(40).join('\n')}`);
    return 1;
  } finally {
    await stack.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
