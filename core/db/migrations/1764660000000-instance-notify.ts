import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The channel an instance's id is sent on whenever what GET shows of it may have changed. */
export const INSTANCE_CHANGED_CHANNEL = 'nimbus_instance_changed';

/**
 * Push instead of poll: a write to an instance, its scheduling attempts or its fault sends the
 * instance id on INSTANCE_CHANGED_CHANNEL (delivered at commit, once per id and transaction),
 * so live views (GraphQL subscriptions) re-read only when something changed.
 */
export class InstanceNotify1764660000000 implements MigrationInterface {
  name = 'InstanceNotify1764660000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE FUNCTION nimbus_notify_instance() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         -- instances carry their own id; scheduling_attempts and instance_faults the instance's.
         PERFORM pg_notify('${INSTANCE_CHANGED_CHANNEL}',
           coalesce(to_jsonb(NEW) ->> 'instance_id', to_jsonb(NEW) ->> 'id'));
         RETURN NULL;
       END $$`,
    );
    for (const table of ['instances', 'scheduling_attempts', 'instance_faults']) {
      await q.query(
        `CREATE TRIGGER "${table}_notify" AFTER INSERT OR UPDATE ON "${table}"
         FOR EACH ROW EXECUTE FUNCTION nimbus_notify_instance()`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['instances', 'scheduling_attempts', 'instance_faults']) {
      await q.query(`DROP TRIGGER "${table}_notify" ON "${table}"`);
    }
    await q.query(`DROP FUNCTION nimbus_notify_instance()`);
  }
}
