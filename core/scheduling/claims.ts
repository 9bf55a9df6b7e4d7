import type { DataSource } from 'typeorm';
import { FaultCodes } from '../../contracts/errors.js';
import { Claim } from '../db/entities/index.js';
import { DomainError } from '../errors.js';
import { fitsSql, shortfalls, type ResourceRequest } from './capacity.js';

type Query = (sql: string, params: unknown[]) => Promise<any>;

/** The fence of a release that names no attempt (a delete): every attempt's claim is refused. */
const FENCE_ALL = 2_147_483_647;

/** How long a claim transaction may wait on its own client before PostgreSQL ends it. */
const IDLE_CLAIM_TX_MS = 5000;

/**
 * Claims: resources held on one host for one instance. A claim is a conditional update
 * of the host's usage in the same transaction as the claim row, so concurrent builds and
 * several controllers can never push a host past capacity × ratio.
 */
export class ClaimService {
  constructor(private readonly db: DataSource) {}

  /**
   * Idempotent per instance: a second claim on the same host is a no-op; a stale one elsewhere
   * is released first. `attemptNo` is the build's scheduling attempt: once that attempt has been
   * released (release below), its claim is refused and holds nothing, however late it comes.
   */
  async claim(instanceId: string, host: string, req: ResourceRequest, attemptNo?: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      // A claimant frozen inside this transaction (SIGSTOP, a hung VM) would hold the lock
      // below, and the release that fences it, for good: PostgreSQL ends it instead.
      await tx.query(`SET LOCAL idle_in_transaction_session_timeout = '${IDLE_CLAIM_TX_MS}'`);
      // Concurrent retries of one claim, and its release, queue here: a row lock cannot
      // guard a claim row not yet written.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`claim:${instanceId}`]);
      if (attemptNo !== undefined) {
        const fence = await this.fenceOf(tx.query.bind(tx), instanceId);
        if (fence !== null && fence >= attemptNo) {
          throw new DomainError(
            FaultCodes.HostRefused,
            `host ${host} refused a late claim: attempt ${attemptNo} of this build was already released`,
            { host },
          );
        }
      }
      const existing = await tx
        .getRepository(Claim)
        .findOne({ where: { instanceId }, lock: { mode: 'pessimistic_write' } });
      if (existing?.attemptNo != null && attemptNo !== undefined && existing.attemptNo > attemptNo) {
        throw new DomainError(
          FaultCodes.HostRefused,
          `host ${host} refused a late claim: attempt ${existing.attemptNo} of this build holds one`,
          { host },
        );
      }
      if (existing?.host === host) return;
      if (existing) await this.releaseWith(tx.query.bind(tx), instanceId, null);
      const [, affected] = await tx.query(
        `UPDATE hosts SET vcpus_used = vcpus_used + $2, ram_mb_used = ram_mb_used + $3, disk_gb_used = disk_gb_used + $4
         WHERE name = $1 AND NOT disabled
           AND ${fitsSql({ vcpus: '$2', ramMb: '$3', diskGb: '$4' })}`,
        [host, req.vcpus, req.ramMb, req.diskGb],
      );
      if (affected === 0) throw new DomainError(FaultCodes.HostRefused, await this.refusalReason(host, req), { host });
      const { vcpus, ramMb, diskGb } = req;
      await tx.getRepository(Claim).insert({ instanceId, host, vcpus, ramMb, diskGb, attemptNo: attemptNo ?? null });
    });
  }

  /**
   * Returns the claim's resources; releasing twice is harmless. With `attemptNo`, it releases
   * only a claim of that attempt or an earlier one, and fences the attempt: a claim of it
   * arriving later is refused. Without, it releases any claim and fences every attempt (the
   * instance is being deleted).
   */
  async release(instanceId: string, attemptNo?: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`claim:${instanceId}`]);
      const fence = attemptNo ?? FENCE_ALL;
      await tx.query(
        `INSERT INTO claim_fences (instance_id, attempt_no) VALUES ($1, $2)
         ON CONFLICT (instance_id) DO UPDATE
           SET attempt_no = GREATEST(claim_fences.attempt_no, EXCLUDED.attempt_no), updated_at = now()`,
        [instanceId, fence],
      );
      await this.releaseWith(tx.query.bind(tx), instanceId, fence);
    });
  }

  /** The highest released attempt of the instance (claims up to it are refused), or null. */
  private async fenceOf(query: Query, instanceId: string): Promise<number | null> {
    const rows: Array<{ attempt_no: number }> = await query(
      `SELECT attempt_no FROM claim_fences WHERE instance_id = $1`,
      [instanceId],
    );
    return rows[0]?.attempt_no ?? null;
  }

  async claimOf(instanceId: string): Promise<Claim | null> {
    return this.db.getRepository(Claim).findOneBy({ instanceId });
  }

  /** Deletes the instance's claim (only one of attempt ≤ `upTo` when given) and gives its resources back. */
  private async releaseWith(query: Query, instanceId: string, upTo: number | null): Promise<void> {
    const [rows] = await query(
      `DELETE FROM claims WHERE instance_id = $1 AND ($2::int IS NULL OR attempt_no IS NULL OR attempt_no <= $2)
       RETURNING host, vcpus, ram_mb, disk_gb`,
      [instanceId, upTo],
    );
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
