import 'reflect-metadata';
import { DataSource } from 'typeorm';
import * as entities from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';

/** The entities module exports the entity classes and nothing else. */
const ENTITIES = Object.values(entities);

export interface DataSourceOptions {
  /** Pool size: the API and the controller serve many concurrent activities. */
  poolSize?: number;
  applicationName?: string;
}

/** The one way any Nimbus process reaches Postgres. Schema comes from migrations, never `synchronize`. */
export function createDataSource(databaseUrl: string, options: DataSourceOptions = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'all',
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install.
    uuidExtension: 'pgcrypto',
    synchronize: false,
    logging: ['error'],
    extra: { max: options.poolSize ?? 10, application_name: options.applicationName ?? 'nimbus' },
  });
}
