/**
 * Prints the SQL that would bring the database at DATABASE_URL in line with the entities:
 * run it after the migrations to write the next migration (empty output: in sync).
 */
import { createDataSource } from '../core/db/data-source.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('set DATABASE_URL');
const ds = await createDataSource(url).initialize();
await ds.runMigrations();
const sql = await ds.driver.createSchemaBuilder().log();
for (const q of sql.upQueries) console.log(q.query + ';');
await ds.destroy();
