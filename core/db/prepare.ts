import { createDataSource } from './data-source.js';
import { seedAdminUser } from '../identity/users.js';
import { seed } from './seeds.js';

/** Any fixed number: every Nimbus process takes this lock before migrating. */
const MIGRATION_LOCK = 0x6e696d62; // "nimb"

/**
 * Runs pending migrations and the first-start seeds. Several processes start at once
 * (API, controller, agents), so the work is serialized with an advisory lock. Only the
 * processes given the admin and agent tokens (the API, the controller) seed them: a configured
 * token revokes the one it replaces.
 */
export async function prepareDatabase(
  databaseUrl: string,
  options: { adminToken?: string; agentToken?: string; adminPassword?: string } = {},
): Promise<void> {
  const ds = await createDataSource(databaseUrl, { poolSize: 2, applicationName: 'nimbus-migrate' }).initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await ds.runMigrations({ transaction: 'all' });
      await ds.transaction(async (tx) => {
        await seed(tx, options);
        if (options.adminPassword) await seedAdminUser(tx, options.adminPassword);
      });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}
