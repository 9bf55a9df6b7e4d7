import type { DataSource } from 'typeorm';

/** Step durations are seconds; the fake hypervisor is fast, a real one takes minutes. */
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const label = (v: string) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Build metrics in Prometheus text format, read from Postgres at scrape time: the workflows
 * of every controller write their steps there, so one scrape of the API sees all of them
 * without each worker process exposing metrics of its own.
 */
export async function buildMetrics(db: DataSource): Promise<string> {
  const [statuses, faults, steps, undos, started] = await Promise.all([
    db.query(`SELECT status, count(*)::int AS n FROM instances GROUP BY status`),
    db.query(`SELECT code, count(*)::int AS n FROM instance_faults GROUP BY code`),
    // Aggregated in the database: the scrape moves one row per step and outcome, not per action.
    db.query(
      `SELECT step, outcome, count(*)::int AS n, sum(d)::float8 AS total,
              array[${BUCKETS.map((b) => `count(*) FILTER (WHERE d <= ${b})::int`).join(', ')}] AS buckets
       FROM (SELECT step, outcome, extract(epoch FROM finished_at - started_at) AS d FROM instance_actions
             WHERE finished_at IS NOT NULL AND outcome IN ('succeeded', 'failed') AND step NOT LIKE 'undo:%') a
       GROUP BY step, outcome ORDER BY step, outcome`,
    ),
    db.query(
      `SELECT regexp_replace(step, '^undo:([A-Za-z]+).*$', '\\1') AS undo, count(*)::int AS n
       FROM instance_actions WHERE outcome = 'compensated' GROUP BY 1`,
    ),
    db.query(`SELECT count(*)::int AS n FROM instances`),
  ]);
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
    BUCKETS.forEach((le, i) => lines.push(`nimbus_step_duration_seconds_bucket{${l},le="${le}"} ${row.buckets[i]}`));
    lines.push(`nimbus_step_duration_seconds_bucket{${l},le="+Inf"} ${row.n}`);
    lines.push(`nimbus_step_duration_seconds_sum{${l}} ${row.total}`);
    lines.push(`nimbus_step_duration_seconds_count{${l}} ${row.n}`);
  }
  return `${lines.join('\n')}\n`;
}
