import type { DataSource } from 'typeorm';
import { FaultCodes } from '../../contracts/errors.js';

/** An instance whose cleanup an undo could not finish (its fault is CleanupIncomplete). */
export interface UnfinishedCleanup {
  instanceId: string;
  projectId: string;
  /** Where its leftovers may be: the instance's host, else the host its fault names. */
  host: string | null;
}

/**
 * The instances the cleanup repair finishes: ERROR with a CleanupIncomplete fault, the
 * oldest first, at most `limit` per pass so one pass stays bounded.
 */
export async function unfinishedCleanups(db: DataSource, limit = 50): Promise<UnfinishedCleanup[]> {
  return db.query(
    `SELECT i.id AS "instanceId", i.project_id AS "projectId", COALESCE(i.host, f.host) AS host
     FROM instances i JOIN instance_faults f ON f.instance_id = i.id
     WHERE i.status = 'ERROR' AND f.code = $1
     ORDER BY f.created_at LIMIT $2`,
    [FaultCodes.CleanupIncomplete, limit],
  );
}
