import type { BenchHttp } from './http.js';

/** The seeded /24 holds ~250 addresses; a larger run gets a network of its own, just big enough. */
export async function benchNetwork(http: BenchHttp, needed: number): Promise<string> {
  if (needed <= 240) return 'default';
  const prefix = 32 - Math.ceil(Math.log2(needed + 8));
  const res = await http.request('POST', '/v1/networks', {
    name: 'bench',
    cidr: `10.64.0.0/${prefix}`,
    segmentation: { type: 'vlan', id: 640 },
  });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`could not create the bench network: ${res.status} ${JSON.stringify(res.body)}`);
  return 'bench';
}

/**
 * What a user would check: every timed build is ACTIVE in the API (a list holds up to 1,000),
 * and its server-side build time.
 */
export async function verifyActive(http: BenchHttp, ids: string[]) {
  const res = await http.request<Array<{ id: string; status: string; createdAt: string; launchedAt: string | null }>>(
    'GET',
    '/v1/instances?status=ACTIVE',
  );
  const wanted = new Set(ids);
  const rows = (Array.isArray(res.body) ? res.body : []).filter((r) => wanted.has(r.id) && r.launchedAt);
  const ms = rows.map((r) => Date.parse(r.launchedAt!) - Date.parse(r.createdAt)).sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.max(0, Math.ceil((p / 100) * ms.length) - 1))] ?? null;
  return {
    active: rows.length,
    serverSide: { what: 'launchedAt - createdAt in Postgres', p50Ms: at(50), p95Ms: at(95), p99Ms: at(99) },
  };
}
