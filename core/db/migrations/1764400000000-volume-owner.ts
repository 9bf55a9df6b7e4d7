import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The instance a volume was created for. Until the volume is attached nothing else links a
 * build's volume to its instance, so without it a volume left by a failed build could not be
 * told from a user's standalone one (core/invariants). Null for standalone volumes.
 */
export class VolumeOwner1764400000000 implements MigrationInterface {
  name = 'VolumeOwner1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "volumes" ADD "instance_id" uuid`);
    await q.query(`CREATE INDEX "IDX_volumes_instance_id" ON "volumes" ("instance_id") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_volumes_instance_id"`);
    await q.query(`ALTER TABLE "volumes" DROP COLUMN "instance_id"`);
  }
}
