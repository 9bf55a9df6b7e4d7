import type { DataSource } from 'typeorm';

/**
 * The image rows an upload moves through: queued → saving (one uploader at a time) → active,
 * or back to queued when it fails. Every step but the claim names the state it expects, so
 * a delete during an upload wins: the upload finds its row no longer `saving` and stops.
 * A `saving` row's updated_at is the upload's heartbeat; one without a beat for a while was
 * left by a crashed API and goes back to `queued`.
 */
export class UploadRecords {
  constructor(private readonly db: DataSource) {}

  /** Takes the image for this upload; false when another upload (or a delete) has it. */
  async claim(id: string): Promise<boolean> {
    const [, n] = await this.db.query<[unknown, number]>(
      `UPDATE images SET status = 'saving', updated_at = now() WHERE id = $1 AND status = 'queued'`,
      [id],
    );
    return n > 0;
  }

  /** The upload is alive: keeps its row from counting as stale. */
  async beat(id: string): Promise<void> {
    await this.db.query(`UPDATE images SET updated_at = now() WHERE id = $1 AND status = 'saving'`, [id]);
  }

  /** The bytes are stored: active with their digest, unless the image was deleted meanwhile (false). */
  async finish(id: string, stored: { sha256: string; sizeBytes: number }): Promise<boolean> {
    const [, n] = await this.db.query<[unknown, number]>(
      `UPDATE images SET status = 'active', sha256 = $2, size_bytes = $3, updated_at = now()
       WHERE id = $1 AND status = 'saving'`,
      [id, stored.sha256, stored.sizeBytes],
    );
    return n > 0;
  }

  /** The upload failed: the image may be uploaded again (a deleted one stays deleted). */
  async release(id: string): Promise<void> {
    await this.db.query(`UPDATE images SET status = 'queued', updated_at = now() WHERE id = $1 AND status = 'saving'`, [
      id,
    ]);
  }

  /** `saving` rows without a heartbeat for `staleSec` go back to `queued`; returns how many. */
  async requeueStale(staleSec: number): Promise<number> {
    const [, n] = await this.db.query<[unknown, number]>(
      `UPDATE images SET status = 'queued', updated_at = now()
       WHERE status = 'saving' AND updated_at < now() - make_interval(secs => $1)`,
      [staleSec],
    );
    return n;
  }

  /** Whether any live image still refers to these bytes. */
  async bytesInUse(sha256: string): Promise<boolean> {
    const [row] = await this.db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM images WHERE sha256 = $1 AND status <> 'deleted'`,
      [sha256],
    );
    return row.n > 0;
  }
}
