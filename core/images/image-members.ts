import type { DataSource } from 'typeorm';

export type MemberStatus = 'pending' | 'accepted' | 'rejected';
export const MEMBER_STATUSES: readonly MemberStatus[] = ['pending', 'accepted', 'rejected'];

export interface ImageMember {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `image_id AS "imageId", member_id AS "memberId", status, created_at AS "createdAt",
  updated_at AS "updatedAt"`;

/**
 * Glance's image members: the owner of a `shared` image names the projects it is shared with;
 * each member sees the image by id at once, and in its image list once it has accepted it.
 */
export class ImageMembers {
  constructor(private readonly db: DataSource) {}

  /** Adds a member (pending); adding one already there returns it unchanged. */
  async add(imageId: string, memberId: string): Promise<ImageMember> {
    await this.db.query(`INSERT INTO image_members (image_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      imageId,
      memberId,
    ]);
    return (await this.get(imageId, memberId))!;
  }

  async get(imageId: string, memberId: string): Promise<ImageMember | null> {
    const rows: ImageMember[] = await this.db.query(
      `SELECT ${COLUMNS} FROM image_members WHERE image_id = $1 AND member_id = $2`,
      [imageId, memberId],
    );
    return rows[0] ?? null;
  }

  list(imageId: string): Promise<ImageMember[]> {
    return this.db.query(`SELECT ${COLUMNS} FROM image_members WHERE image_id = $1 ORDER BY created_at`, [imageId]);
  }

  /** The member's own answer; null when it is not a member. */
  async setStatus(imageId: string, memberId: string, status: MemberStatus): Promise<ImageMember | null> {
    await this.db.query(
      `UPDATE image_members SET status = $3, updated_at = now() WHERE image_id = $1 AND member_id = $2`,
      [imageId, memberId, status],
    );
    return this.get(imageId, memberId);
  }

  async remove(imageId: string, memberId: string): Promise<boolean> {
    const [, n] = await this.db.query<[unknown, number]>(
      `DELETE FROM image_members WHERE image_id = $1 AND member_id = $2`,
      [imageId, memberId],
    );
    return n > 0;
  }

  /** Image id → the project's membership status, for the images shared with `memberId`. */
  async of(memberId: string): Promise<Map<string, MemberStatus>> {
    const rows: Array<{ imageId: string; status: MemberStatus }> = await this.db.query(
      `SELECT image_id AS "imageId", status FROM image_members WHERE member_id = $1`,
      [memberId],
    );
    return new Map(rows.map((r) => [r.imageId, r.status]));
  }
}
