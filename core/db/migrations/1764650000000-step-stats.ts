import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Histogram buckets of step durations, in seconds (the fake hypervisor is fast, a real one takes minutes). */
export const STEP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * `step_stats`: the build metrics as counters kept as steps end, so that a scrape of /metrics
 * reads a few dozen rows instead of aggregating the whole action log. A trigger on
 * instance_actions counts each action once, when it first gets its final outcome: a step's
 * duration into the histogram of (step, succeeded|failed), an undo into (undo name,
 * compensated). The rows already there are counted once by this migration.
 */
export class StepStats1764650000000 implements MigrationInterface {
  name = 'StepStats1764650000000';

  async up(q: QueryRunner): Promise<void> {
    const buckets = `ARRAY[${STEP_BUCKETS.join(', ')}]::float8[]`;
    await q.query(
      `CREATE TABLE "step_stats" ("step" text NOT NULL, "outcome" text NOT NULL, "n" bigint NOT NULL DEFAULT 0,
        "total" float8 NOT NULL DEFAULT 0, "buckets" bigint[] NOT NULL, PRIMARY KEY ("step", "outcome"))`,
    );
    // The key and duration an action counts under, or no row when it does not count (yet).
    await q.query(
      `CREATE FUNCTION nimbus_step_stats_key(step text, outcome text, started timestamptz, finished timestamptz)
       RETURNS TABLE (k_step text, k_outcome text, d float8) LANGUAGE sql IMMUTABLE AS $$
         SELECT CASE WHEN outcome = 'compensated' THEN regexp_replace(step, '^undo:([A-Za-z]+).*$', '\\1') ELSE step END,
                outcome,
                CASE WHEN outcome = 'compensated' THEN 0 ELSE extract(epoch FROM finished - started)::float8 END
         WHERE finished IS NOT NULL
           AND (outcome = 'compensated' OR (outcome IN ('succeeded', 'failed') AND step NOT LIKE 'undo:%'))
       $$`,
    );
    await q.query(
      `CREATE FUNCTION nimbus_count_step() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE k record;
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.finished_at IS NOT NULL AND OLD.outcome = NEW.outcome THEN RETURN NULL; END IF;
         FOR k IN SELECT * FROM nimbus_step_stats_key(NEW.step, NEW.outcome, NEW.started_at, NEW.finished_at) LOOP
           INSERT INTO step_stats AS s (step, outcome, n, total, buckets)
           VALUES (k.k_step, k.k_outcome, 1, k.d,
                   (SELECT array_agg(CASE WHEN k.d <= b THEN 1 ELSE 0 END ORDER BY i)
                    FROM unnest(${buckets}) WITH ORDINALITY AS u(b, i)))
           ON CONFLICT (step, outcome) DO UPDATE SET n = s.n + 1, total = s.total + EXCLUDED.total,
             buckets = (SELECT array_agg(x + y ORDER BY i)
                        FROM unnest(s.buckets, EXCLUDED.buckets) WITH ORDINALITY AS u(x, y, i));
         END LOOP;
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "instance_actions_step_stats" AFTER INSERT OR UPDATE OF "outcome", "finished_at"
       ON "instance_actions" FOR EACH ROW EXECUTE FUNCTION nimbus_count_step()`,
    );
    await q.query(
      `INSERT INTO step_stats (step, outcome, n, total, buckets)
       SELECT k.k_step, k.k_outcome, count(*), sum(k.d),
              array[${STEP_BUCKETS.map((b) => `count(*) FILTER (WHERE k.d <= ${b})`).join(', ')}]::bigint[]
       FROM instance_actions a, nimbus_step_stats_key(a.step, a.outcome, a.started_at, a.finished_at) k
       GROUP BY 1, 2`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "instance_actions_step_stats" ON "instance_actions"`);
    await q.query(`DROP FUNCTION nimbus_count_step()`);
    await q.query(`DROP FUNCTION nimbus_step_stats_key(text, text, timestamptz, timestamptz)`);
    await q.query(`DROP TABLE "step_stats"`);
  }
}
