import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-project quotas; NULL means no limit. */
export class ProjectQuotas1764500000000 implements MigrationInterface {
  name = 'ProjectQuotas1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "projects" ADD "quota_instances" integer`);
    await q.query(`ALTER TABLE "projects" ADD "quota_vcpus" integer`);
    await q.query(`ALTER TABLE "projects" ADD "quota_ram_mb" integer`);
    await q.query(`ALTER TABLE "projects" ADD "quota_volume_gb" integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['quota_volume_gb', 'quota_ram_mb', 'quota_vcpus', 'quota_instances'])
      await q.query(`ALTER TABLE "projects" DROP COLUMN "${c}"`);
  }
}
