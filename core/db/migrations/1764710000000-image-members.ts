import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Glance's image members: the projects a `shared` image is shared with, and whether each accepted it. */
export class ImageMembers1764710000000 implements MigrationInterface {
  name = 'ImageMembers1764710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "image_members" ("image_id" uuid NOT NULL, "member_id" uuid NOT NULL,
        "status" text NOT NULL DEFAULT 'pending', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), PRIMARY KEY ("image_id", "member_id"),
        CONSTRAINT "CHK_image_members_status" CHECK ("status" IN ('pending', 'accepted', 'rejected')))`,
    );
    await q.query(`CREATE INDEX "IDX_image_members_member" ON "image_members" ("member_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "image_members"`);
  }
}
