/**
 * Placement among many hosts: how long the scheduler's choice (filters + weigher, in one
 * query) takes with 10,000 hosts in PostgreSQL, for each weigher, plus the claim a host makes
 * and the NoValidHost path (which also explains why). The target is well under 20 ms.
 *
 *   node dist/bench/placement.js [--hosts 10000] [--samples 300]
 *
 * prints the figures and writes bench/results/placement.json. `benchPlacement(opts)` is the
 * same run for `npm run bench`. It starts a throwaway embedded PostgreSQL unless given a
 * database URL; then it adds hosts named `bench-*` there and removes them afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { REPO_ROOT } from '../core/config.js';
import { createDataSource } from '../core/db/data-source.js';
import { prepareDatabase } from '../core/db/prepare.js';
import { SEED_FLAVORS } from '../core/db/seeds.js';
import { ClaimService } from '../core/scheduling/claims.js';
import { HostSelector, WEIGHERS, type ResourceRequest, type Weigher } from '../core/scheduling/host-selector.js';
import { startTestDatabase } from '../test/support/database.js';

export interface PlacementBenchOptions {
  /** Hosts to place among (default 10,000). */
  hosts?: number;
  /** Timed placements per measured operation (default 300). */
  samples?: number;
  /** An existing PostgreSQL (migrated here if needed); default a throwaway embedded one. */
  databaseUrl?: string;
  /** Progress lines; default silent. */
  log?: (line: string) => void;
}

export interface LatencyStats {
  samples: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface PlacementBenchResult {
  name: 'placement';
  hosts: number;
  /** Hosts the filters can offer at all (enabled, alive): the rest are disabled or down. */
  liveHosts: number;
  /** selectHost by weigher, random seeded flavors, 0-2 hosts excluded as on a retry. */
  select: Record<Weigher, LatencyStats>;
  /** The host's own claim (conditional update + claim row), then its release. */
  claim: LatencyStats;
  /** A flavor no host can take: the query finds nothing and the explanation is built. */
  noValidHost: LatencyStats;
  targetMs: number;
  /** p95 of every select weigher under the target. */
  withinTarget: boolean;
  postgres: string;
  measuredAt: string;
}

export const PLACEMENT_TARGET_MS = 20;
const PREFIX = 'bench-';
const SERVICE_DOWN_SEC = 30;

export async function benchPlacement(opts: PlacementBenchOptions = {}): Promise<PlacementBenchResult> {
  const hosts = opts.hosts ?? 10_000;
  const samples = opts.samples ?? 300;
  const log = opts.log ?? (() => {});
  let db: DataSource;
  let stop: () => Promise<void>;
  if (opts.databaseUrl) {
    await prepareDatabase(opts.databaseUrl);
    db = await createDataSource(opts.databaseUrl, { poolSize: 4, applicationName: 'nimbus-bench' }).initialize();
    stop = async () => {
      await removeBenchHosts(db);
      await db.destroy();
    };
  } else {
    log('starting a throwaway PostgreSQL');
    const t = await startTestDatabase();
    db = t.db;
    stop = () => t.stop();
  }
  try {
    await removeBenchHosts(db);
    const t0 = performance.now();
    const live = await insertHosts(db, hosts);
    log(`${hosts} hosts inserted (${live} live) in ${(performance.now() - t0).toFixed(0)} ms`);
    const names = (await db.query(`SELECT name FROM hosts WHERE name LIKE $1`, [`${PREFIX}%`])).map(
      (r: { name: string }) => r.name,
    );
    const pickFlavor = (): ResourceRequest => SEED_FLAVORS[Math.floor(Math.random() * (SEED_FLAVORS.length - 1))];
    const pickExcluded = (): string[] =>
      Array.from({ length: Math.floor(Math.random() * 3) }, () => names[Math.floor(Math.random() * names.length)]);

    const select = {} as Record<Weigher, LatencyStats>;
    for (const weigher of WEIGHERS) {
      const selector = new HostSelector(db, SERVICE_DOWN_SEC, weigher);
      select[weigher] = await measure(samples, () => selector.select(pickFlavor(), pickExcluded()));
      log(`select (${weigher}): ${format(select[weigher])}`);
    }

    const claims = new ClaimService(db);
    const spread = new HostSelector(db, SERVICE_DOWN_SEC, 'spread');
    const claim = await measure(samples, async () => {
      const host = await spread.select(SEED_FLAVORS[0]);
      const id = randomUUID();
      await claims.claim(id, host, SEED_FLAVORS[0]);
      await claims.release(id);
    });
    log(`select + claim + release: ${format(claim)}`);

    const huge = { vcpus: 4096, ramMb: 16_777_216, diskGb: 1_000_000 };
    const noValidHost = await measure(Math.min(samples, 100), () =>
      spread.select(huge).then(
        () => {
          throw new Error('a host took a flavor larger than any host');
        },
        (err: Error) => {
          if ((err as { code?: string }).code !== 'NoValidHost') throw err;
        },
      ),
    );
    log(`NoValidHost: ${format(noValidHost)}`);

    const [{ version }] = await db.query(`SELECT current_setting('server_version') AS version`);
    return {
      name: 'placement',
      hosts,
      liveHosts: live,
      select,
      claim,
      noValidHost,
      targetMs: PLACEMENT_TARGET_MS,
      withinTarget: WEIGHERS.every((w) => select[w].p95Ms < PLACEMENT_TARGET_MS),
      postgres: version,
      measuredAt: new Date().toISOString(),
    };
  } finally {
    await stop();
  }
}

/**
 * A fleet of mixed sizes and fill levels, 2% disabled and 3% down, so the filters have
 * real work: every resource and liveness predicate rejects some hosts.
 */
async function insertHosts(db: DataSource, count: number): Promise<number> {
  await db.query(
    `INSERT INTO hosts (name, vcpus, ram_mb, disk_gb, cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio,
                        vcpus_used, ram_mb_used, disk_gb_used, disabled, last_heartbeat_at)
     SELECT $2 || lpad(i::text, 6, '0'), s.vcpus, s.ram, s.disk, 4.0, CASE WHEN i % 7 = 0 THEN 1.5 ELSE 1.0 END, 1.0,
            floor(random() * s.vcpus * 4)::int, floor(random() * s.ram)::int, floor(random() * s.disk)::int,
            i % 50 = 0, CASE WHEN i % 33 = 0 THEN now() - interval '1 hour' ELSE now() END
     FROM generate_series(1, $1) AS i
     CROSS JOIN LATERAL (SELECT (ARRAY[8, 16, 32, 64])[1 + i % 4] AS vcpus,
                                (ARRAY[16384, 32768, 65536, 131072])[1 + i % 4] AS ram,
                                (ARRAY[160, 320, 640, 1280])[1 + i % 4] AS disk) s`,
    [count, PREFIX],
  );
  await db.query(`ANALYZE hosts`);
  const [{ live }] = await db.query(
    `SELECT count(*)::int AS live FROM hosts
      WHERE name LIKE $1 AND NOT disabled AND last_heartbeat_at > now() - make_interval(secs => $2)`,
    [`${PREFIX}%`, SERVICE_DOWN_SEC],
  );
  return live;
}

async function removeBenchHosts(db: DataSource): Promise<void> {
  await db.query(`DELETE FROM claims WHERE host LIKE $1`, [`${PREFIX}%`]);
  await db.query(`DELETE FROM hosts WHERE name LIKE $1`, [`${PREFIX}%`]);
}

/** Warms up (plans cached, pages in memory), then times each call. */
async function measure(samples: number, run: () => Promise<unknown>): Promise<LatencyStats> {
  for (let i = 0; i < Math.min(20, samples); i++) await run();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => round(times[Math.min(times.length - 1, Math.floor(q * times.length))]);
  return {
    samples,
    meanMs: round(times.reduce((a, b) => a + b, 0) / times.length),
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
    maxMs: round(times[times.length - 1]),
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;
const format = (s: LatencyStats) =>
  `mean ${s.meanMs} ms, p50 ${s.p50Ms}, p95 ${s.p95Ms}, p99 ${s.p99Ms}, max ${s.maxMs} (${s.samples} samples)`;

export function formatPlacement(r: PlacementBenchResult): string {
  return [
    `placement among ${r.hosts} hosts (${r.liveHosts} live), PostgreSQL ${r.postgres}:`,
    ...WEIGHERS.map((w) => `  select, ${w.padEnd(6)}        ${format(r.select[w])}`),
    `  select+claim+release  ${format(r.claim)}`,
    `  NoValidHost           ${format(r.noValidHost)}`,
    `  target: p95 < ${r.targetMs} ms: ${r.withinTarget ? 'met' : 'MISSED'}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { hosts: { type: 'string' }, samples: { type: 'string' } } });
  const result = await benchPlacement({
    hosts: values.hosts ? Number(values.hosts) : undefined,
    samples: values.samples ? Number(values.samples) : undefined,
    log: (line) => console.error(line),
  });
  console.log(formatPlacement(result));
  const out = path.join(REPO_ROOT, 'bench', 'results', 'placement.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written to ${path.relative(REPO_ROOT, out)}`);
  process.exitCode = result.withinTarget ? 0 : 1;
}
