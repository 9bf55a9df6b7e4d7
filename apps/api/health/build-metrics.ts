import type { DataSource } from 'typeorm';
import { STEP_BUCKETS } from '../../../core/db/migrations/1764650000000-step-stats.js';

const label = (v: string) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Build metrics in Prometheus text format, read from Postgres at scrape time: the workflows
 * of every controller write their steps there, so one scrape of the API sees all of them
 * without each worker process exposing metrics of its own. Step counts and durations come from
 * `step_stats`, counters a trigger keeps as steps end (migration 1764650000000): a scrape reads
 * a row per step and outcome, never the action log.
 */
export async function buildMetrics(db: DataSource): Promise<string> {
  const [statuses, faults, stats, started] = await Promise.all([
    db.query(`SELECT status, count(*)::int AS n FROM instances GROUP BY status`),
    db.query(`SELECT code, count(*)::int AS n FROM instance_faults GROUP BY code`),
    db.query(`SELECT step, outcome, n::float8 AS n, total, buckets::float8[] AS buckets FROM step_stats ORDER BY 1, 2`),
    db.query(`SELECT count(*)::int AS n FROM instances`),
  ]);
  const steps = stats.filter((r: any) => r.outcome !== 'compensated');
  const undos = stats.filter((r: any) => r.outcome === 'compensated').map((r: any) => ({ undo: r.step, n: r.n }));
  const lines: string[] = [];
  lines.push(
    '# HELP nimbus_builds_started_total Instances ever requested.',
    '# TYPE nimbus_builds_started_total counter',
  );
  lines.push(`nimbus_builds_started_total ${started[0].n}`);
  lines.push(
    '# HELP nimbus_instances Instances by status (BUILD is builds in flight).',
    '# TYPE nimbus_instances gauge',
  );
  for (const s of ['BUILD', 'ACTIVE', 'SHUTOFF', 'ERROR', 'DELETED']) {
    lines.push(`nimbus_instances{status="${s}"} ${statuses.find((r: any) => r.status === s)?.n ?? 0}`);
  }
  lines.push(
    '# HELP nimbus_builds_failed_total Builds that ended ERROR, by fault code.',
    '# TYPE nimbus_builds_failed_total counter',
  );
  for (const f of faults) lines.push(`nimbus_builds_failed_total{fault_code="${label(f.code)}"} ${f.n}`);
  lines.push(
    '# HELP nimbus_compensations_total Undos run by build sagas, by undo.',
    '# TYPE nimbus_compensations_total counter',
  );
  for (const u of undos) lines.push(`nimbus_compensations_total{undo="${label(u.undo)}"} ${u.n}`);
  lines.push(
    '# HELP nimbus_step_duration_seconds Duration of each saga step.',
    '# TYPE nimbus_step_duration_seconds histogram',
  );
  for (const row of steps) {
    const l = `step="${label(row.step)}",outcome="${label(row.outcome)}"`;
    STEP_BUCKETS.forEach((le, i) =>
      lines.push(`nimbus_step_duration_seconds_bucket{${l},le="${le}"} ${row.buckets[i]}`),
    );
    lines.push(`nimbus_step_duration_seconds_bucket{${l},le="+Inf"} ${row.n}`);
    lines.push(`nimbus_step_duration_seconds_sum{${l}} ${row.total}`);
    lines.push(`nimbus_step_duration_seconds_count{${l}} ${row.n}`);
  }
  return `${lines.join('\n')}\n`;
}
