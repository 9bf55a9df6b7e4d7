/** The migrations and the entities describe the same schema: a new entity field without its migration fails here. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestDatabase } from '../support/database.js';

describe('schema', () => {
  const t = useTestDatabase();

  it('after all migrations, the entities need no change', async () => {
    const { upQueries } = await t.db.driver.createSchemaBuilder().log();
    assert.deepEqual(
      upQueries.map((q) => q.query),
      [],
      'write a migration for these (scripts/print-schema-diff.ts prints them)',
    );
  });
});
