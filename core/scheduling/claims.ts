import type { DataSource } from 'typeorm';
import { FaultCodes } from '../../contracts/errors.js';
import { Claim } from '../db/entities/index.js';
import { DomainError } from '../errors.js';
import { fitsSql, shortfalls, type ResourceRequest } from './capacity.js';

/**
 * Claims: resources held on one host for one instance. A claim is a conditional update
 * of the host's usage in the same transaction as the claim row, so concurrent builds and
 * several controllers can never push a host past capacity × ratio.
 */
export class ClaimService {
  constructor(private readonly db: DataSource) {}

  /** Idempotent per instance: a second claim on the same host is a no-op; a stale one elsewhere is released first. */
  async claim(instanceId: string, host: string, req: ResourceRequest): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Concurrent retries of one claim queue here: a row lock cannot guard a claim row not yet written.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`claim:${instanceId}`]);
      const existing = await tx
        .getRepository(Claim)
        .findOne({ where: { instanceId }, lock: { mode: 'pessimistic_write' } });
      if (existing?.host === host) return;
      if (existing) await this.releaseWith(tx.query.bind(tx), instanceId);
      const [, affected] = await tx.query(
        `UPDATE hosts SET vcpus_used = vcpus_used + $2, ram_mb_used = ram_mb_used + $3, disk_gb_used = disk_gb_used + $4
         WHERE name = $1 AND NOT disabled
           AND ${fitsSql({ vcpus: '$2', ramMb: '$3', diskGb: '$4' })}`,
        [host, req.vcpus, req.ramMb, req.diskGb],
      );
      if (affected === 0) throw new DomainError(FaultCodes.HostRefused, await this.refusalReason(host, req), { host });
      const { vcpus, ramMb, diskGb } = req;
      await tx.getRepository(Claim).insert({ instanceId, host, vcpus, ramMb, diskGb });
    });
  }

  /** Returns the claim's resources; releasing twice is harmless. */
  async release(instanceId: string): Promise<void> {
    await this.db.transaction((tx) => this.releaseWith(tx.query.bind(tx), instanceId));
  }

  async claimOf(instanceId: string): Promise<Claim | null> {
    return this.db.getRepository(Claim).findOneBy({ instanceId });
  }

  private async releaseWith(
    query: (sql: string, params: unknown[]) => Promise<any>,
    instanceId: string,
  ): Promise<void> {
    const [rows] = await query(`DELETE FROM claims WHERE instance_id = $1 RETURNING host, vcpus, ram_mb, disk_gb`, [
      instanceId,
    ]);
    for (const c of rows as Array<{ host: string; vcpus: number; ram_mb: number; disk_gb: number }>) {
      await query(
        `UPDATE hosts SET vcpus_used = vcpus_used - $2, ram_mb_used = ram_mb_used - $3, disk_gb_used = disk_gb_used - $4
         WHERE name = $1`,
        [c.host, c.vcpus, c.ram_mb, c.disk_gb],
      );
    }
  }

  private async refusalReason(host: string, req: ResourceRequest): Promise<string> {
    const [h] = await this.db.query(`SELECT * FROM hosts WHERE name = $1`, [host]);
    if (!h) return `host ${host} is not registered`;
    if (h.disabled) return `host ${host} is disabled`;
    const lacks = shortfalls(h, req);
    return `host ${host} lacks ${lacks.join(', ') || 'room (usage changed meanwhile)'}`;
  }
}
