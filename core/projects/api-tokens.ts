import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { sha256Hex } from '../db/seeds.js';

/** Who a bearer token speaks for. */
export interface TokenOwner {
  tokenId: string;
  projectId: string;
  isAdmin: boolean;
  /** A Keystone token's role on its project; null for project tokens. */
  role: string | null;
  /** A Keystone token's user; null for project tokens. */
  userId: string | null;
}

/** Bearer tokens, stored hashed: a token is shown once, when it is issued, and never again. */
export class ApiTokens {
  constructor(private readonly db: DataSource) {}

  /** A new (non-admin) token for the project; the token itself is only in this reply. */
  async issue(projectId: string, name: string): Promise<{ id: string; token: string }> {
    const token = `nimbus-${randomBytes(24).toString('base64url')}`;
    const [row] = await this.db.query<Array<{ id: string }>>(
      `INSERT INTO api_tokens (token_sha256, project_id, is_admin, name) VALUES ($1, $2, false, $3) RETURNING id`,
      [sha256Hex(token), projectId, name],
    );
    return { id: row.id, token };
  }

  async owner(token: string): Promise<TokenOwner | null> {
    type Row = { id: string; project_id: string; is_admin: boolean; role: string | null; user_id: string | null };
    const [row] = await this.db.query<Row[]>(
      `SELECT id, project_id, is_admin, role, user_id FROM api_tokens WHERE token_sha256 = $1
       AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [sha256Hex(token)],
    );
    if (!row) return null;
    return { tokenId: row.id, projectId: row.project_id, isAdmin: row.is_admin, role: row.role, userId: row.user_id };
  }
}
