import type { DataSource } from 'typeorm';
import { quotaRefusal, quotaVerdictParams, quotaVerdictSql, type QuotaRequest } from '../projects/quotas.js';

/**
 * A build's admission and its durable start (issue 17's burst, issue 16 finding 7).
 *
 * Admission is one statement: the quota verdict (which takes the project's row lock and
 * counts after it), the instance row and its outbox row in `build_starts`, committed together.
 * The project lock is therefore held only while PostgreSQL runs that statement, not across
 * round trips to the API, and a burst of one project's builds no longer queues behind its
 * slowest client. The outbox row is born claimed by the request that admitted it, which
 * starts the workflow right after commit and then removes the row (`finish`).
 *
 * When that start fails or the API dies first, the row stays: a reaper (apps/api's
 * BuildStarter, at start and every few seconds) claims rows whose claim is released or stale,
 * starts their workflow (id = instance id, duplicates rejected, so a second start is a no-op)
 * and finishes them. A DELETE that comes before the start wins (`withdraw`): an unclaimed row
 * is removed with the instance marked DELETED in one transaction, so no build starts and the
 * quota is free; a row a starter holds gets `cancel_requested`, and that starter cancels the
 * workflow it has just started (the saga then compensates and records DELETED).
 */

/** What the starter needs to start the workflow, stored as it was resolved at admission. */
export interface StoredBuildStart {
  workflowId: string;
  input: unknown;
  staticSummary: string;
  staticDetails: string;
}

export interface AdmittedInstance {
  id: string;
  name: string;
  projectId: string;
  flavorId: string;
  imageId: string;
  networkId: string;
  /** The size of a new volume the build creates (null when none, or when it attaches one). */
  volumeSizeGb: number | null;
  workflowId: string;
  idempotencyKey: string | null;
  requestSha256: string;
}

/** A claimed outbox row: the build to start, and whether a DELETE already asked to cancel it. */
export interface ClaimedStart {
  instanceId: string;
  start: StoredBuildStart;
}

/** After a DELETE of a building instance: how its start stood. */
export type Withdrawal = 'withdrawn' | 'cancel-requested' | 'started';

/** A claim older than this is taken to belong to a starter that died (a start takes well under a second). */
export const STALE_CLAIM_SEC = 15;

export class BuildAdmission {
  constructor(private readonly db: DataSource) {}

  /**
   * Checks the quota and records the instance (BUILD/scheduling) with its claimed outbox row.
   * Throws QuotaExceeded when it does not fit; returns the row's timestamps.
   */
  async admit(
    instance: AdmittedInstance,
    usage: QuotaRequest,
    start: StoredBuildStart,
  ): Promise<{ createdAt: Date; updatedAt: Date }> {
    const i = instance;
    const [row] = await this.db.query(
      `WITH verdict AS (SELECT ${quotaVerdictSql(12)} AS v),
       inserted AS (
         INSERT INTO instances (id, name, project_id, status, task_state, flavor_id, image_id, network_id,
                                volume_size_gb, workflow_id, idempotency_key, request_sha256)
         SELECT $1, $2, $3, 'BUILD', 'scheduling', $4, $5, $6, $7, $8, $9, $10 FROM verdict WHERE v IS NULL
         RETURNING id, created_at, updated_at),
       outbox AS (
         INSERT INTO build_starts (instance_id, start, claimed_at, attempts)
         SELECT id, $11::jsonb, now(), 1 FROM inserted)
       SELECT verdict.v AS verdict, inserted.created_at, inserted.updated_at FROM verdict LEFT JOIN inserted ON true`,
      [
        i.id,
        i.name,
        i.projectId,
        i.flavorId,
        i.imageId,
        i.networkId,
        i.volumeSizeGb,
        i.workflowId,
        i.idempotencyKey,
        i.requestSha256,
        JSON.stringify(start),
        ...quotaVerdictParams(i.projectId, usage),
      ],
    );
    if (row.verdict) throw quotaRefusal(i.projectId, row.verdict);
    return { createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) };
  }

  /** The workflow exists: the row goes. True when a DELETE asked meanwhile to cancel the build. */
  async finish(instanceId: string): Promise<boolean> {
    const [rows] = await this.db.query(`DELETE FROM build_starts WHERE instance_id = $1 RETURNING cancel_requested`, [
      instanceId,
    ]);
    return rows.some((r: { cancel_requested: boolean }) => r.cancel_requested);
  }

  /** The start failed: the claim is released, so the reaper (or an idempotent retry) tries again. */
  async release(instanceId: string): Promise<void> {
    await this.db.query(`UPDATE build_starts SET claimed_at = NULL WHERE instance_id = $1`, [instanceId]);
  }

  /** Claims one build's start when nobody holds it (an idempotent retry of its request). */
  async claim(instanceId: string): Promise<ClaimedStart | null> {
    // TypeORM answers an UPDATE or DELETE on PostgreSQL with [rows, affected].
    const [[row]] = await this.db.query(
      `UPDATE build_starts SET claimed_at = now(), attempts = attempts + 1
       WHERE instance_id = $1 AND (claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $2))
       RETURNING instance_id, start`,
      [instanceId, STALE_CLAIM_SEC],
    );
    return row ? { instanceId: row.instance_id, start: row.start } : null;
  }

  /** Claims up to `limit` starts that nobody holds: released ones and those of a starter that died. */
  async claimOrphans(limit = 50, staleClaimSec = STALE_CLAIM_SEC): Promise<ClaimedStart[]> {
    const [rows] = await this.db.query(
      `UPDATE build_starts SET claimed_at = now(), attempts = attempts + 1
       WHERE instance_id IN (
         SELECT instance_id FROM build_starts
         WHERE claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $2)
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING instance_id, start`,
      [limit, staleClaimSec],
    );
    return rows.map((r: { instance_id: string; start: StoredBuildStart }) => ({
      instanceId: r.instance_id,
      start: r.start,
    }));
  }

  /**
   * A DELETE of a building instance, before anything else: an unstarted build that nobody is
   * starting is withdrawn (instance DELETED, outbox row gone, in one transaction); one being
   * started is marked for its starter to cancel; otherwise its workflow runs ('started').
   */
  async withdraw(instanceId: string): Promise<Withdrawal> {
    return this.db.transaction(async (tx) => {
      const [removed] = await tx.query(
        `DELETE FROM build_starts WHERE instance_id = $1 AND claimed_at IS NULL RETURNING instance_id`,
        [instanceId],
      );
      if (removed.length > 0) {
        await tx.query(
          `UPDATE instances SET status = 'DELETED', task_state = NULL, deleted_at = COALESCE(deleted_at, now()),
               updated_at = now()
           WHERE id = $1`,
          [instanceId],
        );
        return 'withdrawn';
      }
      const [marked] = await tx.query(
        `UPDATE build_starts SET cancel_requested = true WHERE instance_id = $1 RETURNING instance_id`,
        [instanceId],
      );
      return marked.length > 0 ? 'cancel-requested' : 'started';
    });
  }
}
