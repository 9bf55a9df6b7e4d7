import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ADMIN_PROJECT, sha256Hex } from '../db/seeds.js';
import { liveToken, revokeTokens } from '../projects/api-tokens.js';
import { unauthorized, type Role } from './users.js';

/** What a Keystone token says: who, on which project, with which role, since and until when. */
export interface TokenGrant {
  userId: string | null;
  userName: string;
  projectId: string;
  projectName: string;
  role: Role;
  methods: string[];
  /** Set when the login used an application credential. */
  applicationCredential?: { id: string; name: string };
}

export interface IssuedToken extends TokenGrant {
  token: string;
  /** The token row's id: Keystone's audit id. */
  id: string;
  issuedAt: Date;
  expiresAt: Date;
}

interface TokenRow {
  id: string;
  project_id: string;
  project_name: string;
  user_id: string | null;
  user_name: string | null;
  role: Role | null;
  is_admin: boolean;
  name: string;
  methods: string[] | null;
  created_at: Date;
  expires_at: Date | null;
}

const SELECT_TOKEN = `SELECT t.id, t.project_id, p.name AS project_name, t.user_id, u.name AS user_name, t.role,
    t.is_admin, t.name, t.methods, t.created_at, t.expires_at
  FROM api_tokens t JOIN projects p ON p.id = t.project_id LEFT JOIN users u ON u.id = t.user_id
  WHERE ${liveToken('t.')}`;

/**
 * Keystone tokens live beside the project bearer tokens (api_tokens) so that every route
 * accepts both; they carry a user, a role, the login methods and an expiry, and can be revoked
 * (the liveness rule and the revocation are core/projects/api-tokens.ts's, shared).
 * Application credentials are project tokens: the credential's id and secret are the token's.
 */
export class KeystoneTokens {
  constructor(
    private readonly db: DataSource,
    private readonly ttlSec: number,
  ) {}

  async issue(grant: TokenGrant): Promise<IssuedToken> {
    const token = `gAAAA${randomBytes(32).toString('base64url')}`;
    // Cross-project power is the admin role on the admin project, as Keystone's default policy reads it.
    const isAdmin = grant.role === 'admin' && grant.projectName === ADMIN_PROJECT;
    const [row] = await this.db.query<Array<{ id: string; created_at: Date; expires_at: Date }>>(
      `INSERT INTO api_tokens (token_sha256, project_id, is_admin, name, user_id, role, methods, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8)) RETURNING id, created_at, expires_at`,
      [
        sha256Hex(token),
        grant.projectId,
        isAdmin,
        `keystone:${grant.userName}`,
        grant.userId,
        grant.role,
        grant.methods,
        this.ttlSec,
      ],
    );
    // Every CLI command logs in: tokens a day past their expiry go, so the table stays small.
    await this.db.query(`DELETE FROM api_tokens WHERE expires_at < now() - interval '1 day'`);
    return { ...grant, token, id: row.id, issuedAt: row.created_at, expiresAt: row.expires_at };
  }

  /** A live Keystone token (not a project token), or null. */
  async validate(token: string): Promise<IssuedToken | null> {
    const [row] = await this.db.query<TokenRow[]>(`${SELECT_TOKEN} AND t.methods IS NOT NULL AND t.token_sha256 = $1`, [
      sha256Hex(token),
    ]);
    if (!row) return null;
    return {
      token,
      id: row.id,
      userId: row.user_id,
      userName: row.user_name ?? row.name,
      projectId: row.project_id,
      projectName: row.project_name,
      role: row.role ?? 'member',
      methods: row.methods ?? [],
      issuedAt: row.created_at,
      expiresAt: row.expires_at!,
    };
  }

  /** True when a live token was revoked now. */
  async revoke(token: string): Promise<boolean> {
    return (await revokeTokens(this.db, 'token_sha256 = $1', [sha256Hex(token)])) > 0;
  }

  /** An application credential (a project token) by its id and secret, as a grant for a new token. */
  async applicationCredential(id: string, secret: string): Promise<TokenGrant> {
    const [row] = await this.db.query<TokenRow[]>(
      `${SELECT_TOKEN} AND t.methods IS NULL AND t.id::text = $1 AND t.token_sha256 = $2`,
      [id, sha256Hex(secret)],
    );
    if (!row) throw unauthorized('Invalid application credential');
    return {
      userId: row.user_id,
      userName: row.user_name ?? `project-token:${row.name}`,
      projectId: row.project_id,
      projectName: row.project_name,
      role: row.role ?? (row.is_admin ? 'admin' : 'member'),
      methods: ['application_credential'],
      applicationCredential: { id: row.id, name: row.name },
    };
  }

  /** A new application credential of the user on the token's project, with the token's role. */
  async createApplicationCredential(grant: TokenGrant, name: string): Promise<{ id: string; secret: string }> {
    const secret = randomBytes(32).toString('base64url');
    const isAdmin = grant.role === 'admin' && grant.projectName === ADMIN_PROJECT;
    const [row] = await this.db.query<Array<{ id: string }>>(
      `INSERT INTO api_tokens (token_sha256, project_id, is_admin, name, user_id, role)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [sha256Hex(secret), grant.projectId, isAdmin, name, grant.userId, grant.role],
    );
    return { id: row.id, secret };
  }
}
