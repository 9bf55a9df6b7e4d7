import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Injected faults are held by each host in its node directory (core/failure-injection/
 * host-fault-store.ts) and set through Temporal: compute agents no longer reach PostgreSQL for
 * them, and nothing else read the table. Faults armed before the upgrade are not carried over:
 * they are a test and demo tool, re-armed by whoever needs them.
 */
export class DropHostFaults1764750000000 implements MigrationInterface {
  name = 'DropHostFaults1764750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "host_faults"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "host_faults" ("host" text NOT NULL, "step" text NOT NULL, "mode" text NOT NULL, "times" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a6e4b3e785ac82ee484d20884cb" PRIMARY KEY ("host", "step"))`,
    );
  }
}
