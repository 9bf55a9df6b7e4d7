import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tokens get a scope (a service credential, e.g. the compute agents' `image:read`, may do only
 * that) and an image's name is unique per owner (the public seeds are one owner). Names a
 * project already used twice keep the oldest; the others get their id's first characters.
 */
export class TokenScopeImageNames1764730000000 implements MigrationInterface {
  name = 'TokenScopeImageNames1764730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "api_tokens" ADD "scope" text`);
    await q.query(
      `UPDATE images SET name = name || '-' || left(id::text, 8) WHERE id IN (
         SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY project_id, name ORDER BY created_at, id) AS n
           FROM images WHERE status <> 'deleted' AND name <> '') d WHERE d.n > 1)`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "UQ_images_owner_name" ON "images"
         (COALESCE("project_id", '00000000-0000-0000-0000-000000000000'::uuid), "name")
         WHERE "status" <> 'deleted' AND "name" <> ''`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "UQ_images_owner_name"`);
    await q.query(`ALTER TABLE "api_tokens" DROP COLUMN "scope"`);
  }
}
