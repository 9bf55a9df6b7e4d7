import type { DataSource, EntityManager } from 'typeorm';
import { RequestCodes } from '../../contracts/errors.js';
import { ADMIN_PROJECT } from '../db/seeds.js';
import { DomainError, isUniqueViolation } from '../errors.js';
import { hashPassword, verifyPassword } from './passwords.js';

export const ROLES = ['admin', 'member', 'reader'] as const;
export type Role = (typeof ROLES)[number];
/** The one Keystone domain Nimbus has. */
export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;
export const ADMIN_USER = 'admin';

export interface UserRecord {
  id: string;
  name: string;
  domainId: string;
}

export interface Membership {
  projectId: string;
  projectName: string;
  role: Role;
}

export const unauthorized = (message = 'The request you have made requires authentication.') =>
  new DomainError(RequestCodes.Unauthorized, message);

/** Users, their passwords and their roles on projects (Keystone's identity and assignment). */
export class Users {
  constructor(private readonly db: DataSource) {}

  async create(name: string, password: string): Promise<UserRecord> {
    try {
      const [row] = await this.db.query<UserRecord[]>(
        `INSERT INTO users (name, password_hash) VALUES ($1, $2) RETURNING id, name, domain_id AS "domainId"`,
        [name, await hashPassword(password)],
      );
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw new DomainError(RequestCodes.ValidationFailed, `a user named ${name} exists`);
      throw err;
    }
  }

  async get(id: string): Promise<UserRecord | null> {
    const [row] = await this.db.query<UserRecord[]>(
      `SELECT id, name, domain_id AS "domainId" FROM users WHERE id::text = $1 AND enabled`,
      [id],
    );
    return row ?? null;
  }

  /** The user when the password is right; the same refusal for an unknown name and a wrong password. */
  async checkPassword(ref: { id?: string; name?: string }, password: string): Promise<UserRecord> {
    const [row] = await this.db.query<Array<UserRecord & { hash: string }>>(
      `SELECT id, name, domain_id AS "domainId", password_hash AS hash FROM users
       WHERE enabled AND ($1::text IS NULL OR id::text = $1) AND ($2::text IS NULL OR name = $2) LIMIT 1`,
      [ref.id ?? null, ref.name ?? null],
    );
    if (!row || !(await verifyPassword(password, row.hash))) throw unauthorized('Invalid username or password');
    return { id: row.id, name: row.name, domainId: row.domainId };
  }

  async grant(userId: string, projectId: string, role: Role): Promise<void> {
    await this.db.query(
      `INSERT INTO project_members (user_id, project_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, project_id) DO UPDATE SET role = EXCLUDED.role`,
      [userId, projectId, role],
    );
  }

  /** The user's role on a project (by id or name), or on their first project when none is named. */
  async membership(userId: string, project?: { id?: string; name?: string }): Promise<Membership | null> {
    const [row] = await this.db.query<Membership[]>(
      `SELECT m.project_id AS "projectId", p.name AS "projectName", m.role FROM project_members m
       JOIN projects p ON p.id = m.project_id
       WHERE m.user_id = $1 AND ($2::text IS NULL OR p.id::text = $2) AND ($3::text IS NULL OR p.name = $3)
       ORDER BY p.created_at LIMIT 1`,
      [userId, project?.id ?? null, project?.name ?? null],
    );
    return row ?? null;
  }
}

/** The seeded `admin` user, admin of project `admin`; an existing one keeps its password. */
export async function seedAdminUser(tx: EntityManager, password: string): Promise<void> {
  const [existing] = await tx.query(`SELECT 1 FROM users WHERE name = $1 AND domain_id = $2`, [
    ADMIN_USER,
    DEFAULT_DOMAIN.id,
  ]);
  if (existing) return;
  await tx.query(
    `WITH u AS (INSERT INTO users (name, password_hash) VALUES ($1, $2) RETURNING id)
     INSERT INTO project_members (user_id, project_id, role)
     SELECT u.id, p.id, 'admin' FROM u, projects p WHERE p.name = $3`,
    [ADMIN_USER, await hashPassword(password), ADMIN_PROJECT],
  );
}
