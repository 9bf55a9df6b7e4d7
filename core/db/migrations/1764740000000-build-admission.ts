import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admission of a build in one statement, and its durable start (issue 17 burst, issue 16 #7).
 *
 * `nimbus_quota_usage` is the one definition of what a project uses. `nimbus_quota_verdict`
 * takes the project's row lock, then counts with a snapshot taken after the lock (each
 * statement of a VOLATILE plpgsql function gets its own), so every admission that held the
 * lock before is counted: NULL when the request fits, else what does not. Called inside the
 * statement that inserts the instance, the lock is held only while PostgreSQL runs that
 * statement and commits it, never across a round trip to a busy API process.
 *
 * `build_starts` is the outbox: one row per admitted build whose CreateInstance workflow may
 * not have started yet, written in the same statement as the instance. `claimed_at` says a
 * starter is on it (a stale claim is taken over); `cancel_requested` is a DELETE that came
 * while the start was in flight, which the starter honours once the workflow exists.
 */
export class BuildAdmission1764740000000 implements MigrationInterface {
  name = 'BuildAdmission1764740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE FUNCTION nimbus_quota_usage(p uuid, OUT instances int, OUT vcpus int, OUT ram_mb int, OUT volume_gb int)
       LANGUAGE sql STABLE AS $$
         SELECT i.instances, i.vcpus, i.ram_mb, v.gb FROM
           (SELECT count(*)::int AS instances, coalesce(sum(f.vcpus), 0)::int AS vcpus,
                   coalesce(sum(f.ram_mb), 0)::int AS ram_mb
            FROM instances i JOIN flavors f ON f.id = i.flavor_id
            WHERE i.project_id = p AND i.status IN ('BUILD', 'ACTIVE', 'SHUTOFF')) i,
           -- Volumes that exist, plus the new volumes of builds that have not made theirs yet.
           (SELECT ((SELECT coalesce(sum(size_gb), 0) FROM volumes
                     WHERE project_id = p AND status NOT IN ('deleted', 'error'))
                  + (SELECT coalesce(sum(b.volume_size_gb), 0) FROM instances b
                     WHERE b.project_id = p AND b.status = 'BUILD' AND b.volume_size_gb IS NOT NULL
                       AND NOT EXISTS (SELECT 1 FROM volumes w WHERE w.instance_id = b.id)))::int AS gb) v
       $$`,
    );
    await q.query(
      `CREATE FUNCTION nimbus_quota_verdict(p uuid, want_instances int, want_vcpus int, want_ram_mb int,
                                            want_volume_gb int)
       RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $$
       DECLARE
         lim record;
         u record;
       BEGIN
         SELECT quota_instances, quota_vcpus, quota_ram_mb, quota_volume_gb INTO lim
           FROM projects WHERE id = p FOR UPDATE;
         IF NOT FOUND THEN RETURN jsonb_build_object('resource', 'project'); END IF;
         SELECT * INTO u FROM nimbus_quota_usage(p);
         IF lim.quota_instances IS NOT NULL AND want_instances > 0
            AND u.instances + want_instances > lim.quota_instances THEN
           RETURN jsonb_build_object('resource', 'instances', 'limit', lim.quota_instances,
                                     'used', u.instances, 'requested', want_instances);
         END IF;
         IF lim.quota_vcpus IS NOT NULL AND want_vcpus > 0 AND u.vcpus + want_vcpus > lim.quota_vcpus THEN
           RETURN jsonb_build_object('resource', 'vcpus', 'limit', lim.quota_vcpus,
                                     'used', u.vcpus, 'requested', want_vcpus);
         END IF;
         IF lim.quota_ram_mb IS NOT NULL AND want_ram_mb > 0 AND u.ram_mb + want_ram_mb > lim.quota_ram_mb THEN
           RETURN jsonb_build_object('resource', 'ramMb', 'limit', lim.quota_ram_mb,
                                     'used', u.ram_mb, 'requested', want_ram_mb);
         END IF;
         IF lim.quota_volume_gb IS NOT NULL AND want_volume_gb > 0
            AND u.volume_gb + want_volume_gb > lim.quota_volume_gb THEN
           RETURN jsonb_build_object('resource', 'volumeGb', 'limit', lim.quota_volume_gb,
                                     'used', u.volume_gb, 'requested', want_volume_gb);
         END IF;
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TABLE "build_starts" (
         "instance_id" uuid NOT NULL REFERENCES "instances" ("id") ON DELETE CASCADE,
         "start" jsonb NOT NULL,
         "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
         "claimed_at" TIMESTAMP WITH TIME ZONE,
         "attempts" integer NOT NULL DEFAULT 0,
         "cancel_requested" boolean NOT NULL DEFAULT false,
         CONSTRAINT "PK_build_starts" PRIMARY KEY ("instance_id"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "build_starts"`);
    await q.query(`DROP FUNCTION nimbus_quota_verdict(uuid, int, int, int, int)`);
    await q.query(`DROP FUNCTION nimbus_quota_usage(uuid)`);
  }
}
