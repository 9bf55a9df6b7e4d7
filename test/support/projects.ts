import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sha256Hex } from '../../core/db/seeds.js';
import type { TestStack } from './stack.js';

/**
 * A project with a non-admin bearer token, written straight into the stack's database (the
 * API has no endpoint for projects yet), for tests of what one tenant may see of another's.
 */
export async function createProject(stack: TestStack, name: string): Promise<{ projectId: string; token: string }> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`INSERT INTO projects (name) VALUES ($1) RETURNING id`, [name]);
    const token = `nimbus-${randomBytes(16).toString('hex')}`;
    await client.query(`INSERT INTO api_tokens (token_sha256, project_id, is_admin, name) VALUES ($1, $2, false, $3)`, [
      sha256Hex(token),
      rows[0].id,
      name,
    ]);
    return { projectId: rows[0].id, token };
  } finally {
    await client.end();
  }
}
