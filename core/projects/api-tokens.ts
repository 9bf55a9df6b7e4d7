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
  /** A service credential's only permission (`image:read`); null for every other token. */
  scope: string | null;
}

/**
 * The one liveness rule of every token, native or Keystone: not revoked, not expired.
 * `t` is the api_tokens alias of the query that uses it ('' for none).
 */
export const liveToken = (t = '') => `${t}revoked_at IS NULL AND (${t}expires_at IS NULL OR ${t}expires_at > now())`;

/** Revokes live tokens matching `where` (on api_tokens, params from $1); the count revoked. */
export async function revokeTokens(db: DataSource, where: string, params: unknown[]): Promise<number> {
  const [, count] = await db.query<[unknown, number]>(
    `UPDATE api_tokens SET revoked_at = now() WHERE ${liveToken()} AND (${where})`,
    params,
  );
  return count;
}

/** 30 days: a CI job's token outlives a working week, and a leaked one is not good forever. */
export const DEFAULT_API_TOKEN_TTL_SEC = 30 * 24 * 3600;

/**
 * Bearer tokens, stored hashed: a token is shown once, when it is issued, and never again.
 * Each expires (NIMBUS_API_TOKEN_TTL, or sooner when asked) and can be revoked.
 */
export class ApiTokens {
  constructor(
    private readonly db: DataSource,
    private readonly ttlSec = DEFAULT_API_TOKEN_TTL_SEC,
  ) {}

  /** A new (non-admin) token for the project; the token itself is only in this reply. */
  async issue(
    projectId: string,
    name: string,
    ttlSec?: number,
  ): Promise<{ id: string; token: string; expiresAt: Date }> {
    const token = `nimbus-${randomBytes(24).toString('base64url')}`;
    const ttl = Math.min(ttlSec ?? this.ttlSec, this.ttlSec);
    const [row] = await this.db.query<Array<{ id: string; expires_at: Date }>>(
      `INSERT INTO api_tokens (token_sha256, project_id, is_admin, name, expires_at)
       VALUES ($1, $2, false, $3, now() + make_interval(secs => $4)) RETURNING id, expires_at`,
      [sha256Hex(token), projectId, name, ttl],
    );
    return { id: row.id, token, expiresAt: row.expires_at };
  }

  async owner(token: string): Promise<TokenOwner | null> {
    type Row = {
      id: string;
      project_id: string;
      is_admin: boolean;
      role: string | null;
      user_id: string | null;
      scope: string | null;
    };
    const [row] = await this.db.query<Row[]>(
      `SELECT id, project_id, is_admin, role, user_id, scope FROM api_tokens
       WHERE token_sha256 = $1 AND ${liveToken()}`,
      [sha256Hex(token)],
    );
    if (!row) return null;
    return {
      tokenId: row.id,
      projectId: row.project_id,
      isAdmin: row.is_admin,
      role: row.role,
      userId: row.user_id,
      scope: row.scope,
    };
  }

  /**
   * Revokes a live token by id: any token for an admin, else only one of the caller's project
   * (another project's token is "not found", as its other objects are). False when none was.
   */
  async revoke(id: string, by: { projectId: string; isAdmin: boolean }): Promise<boolean> {
    const where = by.isAdmin ? `id::text = $1` : `id::text = $1 AND project_id = $2`;
    return (await revokeTokens(this.db, where, by.isAdmin ? [id] : [id, by.projectId])) > 0;
  }
}
