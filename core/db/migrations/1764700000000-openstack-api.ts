import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The OpenStack API's data: Keystone users with password hashes, their roles on projects,
 * expiring and revocable tokens; what Nova and Glance clients send with a server or an image; Neutron networks
 * (their subnet's name, or the network itself until its subnet arrives).
 */
export class OpenstackApi1764700000000 implements MigrationInterface {
  name = 'OpenstackApi1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "domain_id" text NOT NULL DEFAULT 'default', "password_hash" text NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_users_domain_name" UNIQUE ("domain_id", "name"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "project_members" ("user_id" uuid NOT NULL, "project_id" uuid NOT NULL, "role" text NOT NULL, CONSTRAINT "CHK_project_members_role" CHECK ("role" IN ('admin', 'member', 'reader')), CONSTRAINT "PK_b3f491d3a3f986106d281d8eb4b" PRIMARY KEY ("user_id", "project_id"))`,
    );
    await q.query(
      `CREATE TABLE "neutron_networks" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "project_id" uuid NOT NULL, "subnet_name" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_74912e00e98476ad7f3606e798b" UNIQUE ("name"), CONSTRAINT "PK_6d61bc253312195ef0f7fce1824" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "server_extras" ("instance_id" uuid NOT NULL, "metadata" jsonb NOT NULL DEFAULT '{}', "key_name" text, "user_data" text, "user_id" uuid, CONSTRAINT "PK_2b8279902e1ee3c70ef64903745" PRIMARY KEY ("instance_id"))`,
    );
    await q.query(
      `CREATE TABLE "image_extras" ("image_id" uuid NOT NULL, "visibility" text NOT NULL DEFAULT 'private', "disk_format" text, "container_format" text, "properties" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "PK_87318632b312994a6accd185dce" PRIMARY KEY ("image_id"))`,
    );
    await q.query(`ALTER TABLE "api_tokens" ADD "user_id" uuid`);
    await q.query(`ALTER TABLE "api_tokens" ADD "role" text`);
    await q.query(`ALTER TABLE "api_tokens" ADD "methods" text array`);
    await q.query(`ALTER TABLE "api_tokens" ADD "expires_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "api_tokens" ADD "revoked_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(
      `ALTER TABLE "project_members" ADD CONSTRAINT "FK_e89aae80e010c2faa72e6a49ce8" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "project_members" ADD CONSTRAINT "FK_b5729113570c20c7e214cf3f58d" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "image_extras"`);
    await q.query(`DROP TABLE "server_extras"`);
    await q.query(`DROP TABLE "neutron_networks"`);
    await q.query(`DROP TABLE "project_members"`);
    await q.query(`DROP TABLE "users"`);
    for (const column of ['revoked_at', 'expires_at', 'methods', 'role', 'user_id']) {
      await q.query(`ALTER TABLE "api_tokens" DROP COLUMN "${column}"`);
    }
  }
}
