import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Instances get Nova's power_state (built ACTIVE ones were running); hosts the hypervisor type their agent reports. */
export class PowerState1764600000000 implements MigrationInterface {
  name = 'PowerState1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "instances" ADD "power_state" integer NOT NULL DEFAULT '0'`);
    await q.query(`UPDATE "instances" SET "power_state" = 1 WHERE "status" = 'ACTIVE'`);
    await q.query(`ALTER TABLE "hosts" ADD "hypervisor_type" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "hosts" DROP COLUMN "hypervisor_type"`);
    await q.query(`ALTER TABLE "instances" DROP COLUMN "power_state"`);
  }
}
