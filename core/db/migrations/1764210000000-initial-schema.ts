import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: generated from the entities by scripts/print-schema-diff.ts, then reviewed. */
export class InitialSchema1764210000000 implements MigrationInterface {
  name = 'InitialSchema1764210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "api_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "token_sha256" text NOT NULL, "project_id" uuid NOT NULL, "is_admin" boolean NOT NULL DEFAULT false, "name" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c587455266b5fa8dace7194caac" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_ab4ff43145288b954e76d167e6" ON "api_tokens"  ("token_sha256") `);
    await q.query(
      `CREATE TABLE "claims" ("instance_id" uuid NOT NULL, "host" text NOT NULL, "vcpus" integer NOT NULL, "ram_mb" integer NOT NULL, "disk_gb" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_27244ab9fe1f773620a58f62034" PRIMARY KEY ("instance_id"))`,
    );
    await q.query(
      `CREATE TABLE "flavors" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "vcpus" integer NOT NULL, "ram_mb" integer NOT NULL, "disk_gb" integer NOT NULL, CONSTRAINT "UQ_8297edd7c37e51ab4a4bd8bcbfe" UNIQUE ("name"), CONSTRAINT "PK_167d84f2986107e162f56a7ca79" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "host_faults" ("host" text NOT NULL, "step" text NOT NULL, "mode" text NOT NULL, "times" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a6e4b3e785ac82ee484d20884cb" PRIMARY KEY ("host", "step"))`,
    );
    await q.query(
      `CREATE TABLE "hosts" ("name" text NOT NULL, "vcpus" integer NOT NULL, "ram_mb" integer NOT NULL, "disk_gb" integer NOT NULL, "cpu_allocation_ratio" double precision NOT NULL DEFAULT '4', "ram_allocation_ratio" double precision NOT NULL DEFAULT '1', "disk_allocation_ratio" double precision NOT NULL DEFAULT '1', "vcpus_used" integer NOT NULL DEFAULT '0', "ram_mb_used" integer NOT NULL DEFAULT '0', "disk_gb_used" integer NOT NULL DEFAULT '0', "disabled" boolean NOT NULL DEFAULT false, "disabled_reason" text, "last_heartbeat_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "usage_not_negative" CHECK ("vcpus_used" >= 0 AND "ram_mb_used" >= 0 AND "disk_gb_used" >= 0), CONSTRAINT "PK_d6d891591add4f442af21db7fb5" PRIMARY KEY ("name"))`,
    );
    await q.query(
      `CREATE TABLE "images" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "status" text NOT NULL DEFAULT 'queued', "size_bytes" bigint, "sha256" text, "project_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1fe148074c6a1a91b63cb9ee3c9" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "instance_actions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "instance_id" uuid NOT NULL, "step" text NOT NULL, "host" text, "outcome" text NOT NULL, "message" text, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_a0d7690df7f91e60ce091d695be" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "IDX_1d7f475a1f8eaa2cd41186ffff" ON "instance_actions"  ("instance_id", "step", "host") `,
    );
    await q.query(
      `CREATE TABLE "instance_faults" ("instance_id" uuid NOT NULL, "code" text NOT NULL, "message" text NOT NULL, "step" text, "host" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ec2dfa759de727cc0617ad7d165" PRIMARY KEY ("instance_id"))`,
    );
    await q.query(
      `CREATE TABLE "instances" ("id" uuid NOT NULL, "name" text NOT NULL, "project_id" uuid NOT NULL, "status" text NOT NULL, "task_state" text, "host" text, "flavor_id" uuid NOT NULL, "image_id" uuid NOT NULL, "network_id" uuid NOT NULL, "volume_size_gb" integer, "workflow_id" text NOT NULL, "idempotency_key" text, "request_sha256" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "launched_at" TIMESTAMP WITH TIME ZONE, "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_11862209053330b4765f7f54178" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_c75dbb4dfd4b594e99d29c0185" ON "instances"  ("project_id") `);
    await q.query(`CREATE INDEX "IDX_d1fff11c38c615eb716db5b413" ON "instances"  ("status") `);
    await q.query(`CREATE INDEX "IDX_781c6562642b36b184d85db042" ON "instances"  ("host") `);
    await q.query(
      `CREATE UNIQUE INDEX "IDX_ff7f705a812a5f782862972ab1" ON "instances"  ("project_id", "idempotency_key") WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(
      `CREATE TABLE "ip_allocations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "network_id" uuid NOT NULL, "port_id" uuid NOT NULL, "address" inet NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_3b83edfefb32e3437f1b5303dd2" UNIQUE ("port_id"), CONSTRAINT "UQ_762e723fc52831455e5efcf6ab3" UNIQUE ("network_id", "address"), CONSTRAINT "PK_9795db112e20a9230600f380ee5" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "networks" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "cidr" cidr NOT NULL, "gateway" inet NOT NULL, "allocation_start" inet NOT NULL, "allocation_end" inet NOT NULL, "dns_servers" text array NOT NULL DEFAULT '{}', "segmentation_type" text NOT NULL, "segmentation_id" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_b340a763309cd7b7f7ab0d12a27" UNIQUE ("name"), CONSTRAINT "PK_61b1ee921bf79550d9d4742b9f7" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "ports" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "network_id" uuid NOT NULL, "instance_id" uuid, "project_id" uuid, "host" text, "mac_address" macaddr NOT NULL, "status" text NOT NULL DEFAULT 'down', "device_name" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_291c9f372b1ce97c885e96f5ff4" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_c9429abd0a0140d17b85af6f07" ON "ports"  ("mac_address") `);
    await q.query(
      `CREATE UNIQUE INDEX "IDX_4223e867ff0bd2c6220f83932f" ON "ports"  ("instance_id", "network_id") WHERE instance_id IS NOT NULL`,
    );
    await q.query(
      `CREATE TABLE "projects" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_2187088ab5ef2a918473cb99007" UNIQUE ("name"), CONSTRAINT "PK_6271df0a7aed1d6c0691ce6ac50" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "scheduling_attempts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "instance_id" uuid NOT NULL, "attempt_no" integer NOT NULL, "host" text NOT NULL, "outcome" text NOT NULL, "reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_044d8f187a8390aed76e2ac39b1" UNIQUE ("instance_id", "attempt_no"), CONSTRAINT "PK_12d7afc34a01add9a51261d5638" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "storage_pools" ("name" text NOT NULL, "capacity_gb" integer NOT NULL, "allocated_gb" integer NOT NULL DEFAULT '0', CONSTRAINT "allocation_within_capacity" CHECK ("allocated_gb" >= 0 AND "allocated_gb" <= "capacity_gb"), CONSTRAINT "PK_f5b2b82fbda9faa63c28d40cb2e" PRIMARY KEY ("name"))`,
    );
    await q.query(
      `CREATE TABLE "volume_attachments" ("volume_id" uuid NOT NULL, "instance_id" uuid NOT NULL, "host" text NOT NULL, "device" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_95d6ff64062c8c4f188cfc29c33" PRIMARY KEY ("volume_id"))`,
    );
    await q.query(
      `CREATE TABLE "volumes" ("id" uuid NOT NULL, "name" text, "project_id" uuid NOT NULL, "size_gb" integer NOT NULL, "status" text NOT NULL, "pool" text NOT NULL, "delete_on_termination" boolean NOT NULL DEFAULT false, "target_iqn" text, "target_portal" text, "target_lun" integer, "chap_username" text, "chap_secret" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f3d03a6ad79006b028d3eae9e9f" PRIMARY KEY ("id"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "volumes"`);
    await q.query(`DROP TABLE "volume_attachments"`);
    await q.query(`DROP TABLE "storage_pools"`);
    await q.query(`DROP TABLE "scheduling_attempts"`);
    await q.query(`DROP TABLE "projects"`);
    await q.query(`DROP TABLE "ports"`);
    await q.query(`DROP TABLE "networks"`);
    await q.query(`DROP TABLE "ip_allocations"`);
    await q.query(`DROP TABLE "instances"`);
    await q.query(`DROP TABLE "instance_faults"`);
    await q.query(`DROP TABLE "instance_actions"`);
    await q.query(`DROP TABLE "images"`);
    await q.query(`DROP TABLE "hosts"`);
    await q.query(`DROP TABLE "host_faults"`);
    await q.query(`DROP TABLE "flavors"`);
    await q.query(`DROP TABLE "claims"`);
    await q.query(`DROP TABLE "api_tokens"`);
  }
}
