import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claims carry the scheduling attempt that made them, and releasing attempt N leaves a
 * fence (claim_fences) that refuses any claim of attempt ≤ N arriving later: a claim that
 * outlived its timeout cannot commit after its undo. Hosts get `suspect_since`: set when a
 * host step went unanswered, cleared by the agent's next heartbeat; the scheduler skips it.
 */
export class ClaimFencing1764720000000 implements MigrationInterface {
  name = 'ClaimFencing1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "claims" ADD "attempt_no" integer`);
    await q.query(
      `CREATE TABLE "claim_fences" ("instance_id" uuid NOT NULL, "attempt_no" integer NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), PRIMARY KEY ("instance_id"))`,
    );
    await q.query(`ALTER TABLE "hosts" ADD "suspect_since" TIMESTAMP WITH TIME ZONE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "hosts" DROP COLUMN "suspect_since"`);
    await q.query(`DROP TABLE "claim_fences"`);
    await q.query(`ALTER TABLE "claims" DROP COLUMN "attempt_no"`);
  }
}
