import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { NimbusConfig } from '../../../core/config.js';
import { createDataSource } from '../../../core/db/data-source.js';
import type { Logger } from '../../../core/logger.js';

export const CONFIG = Symbol('NimbusConfig');
export const LOGGER = Symbol('Logger');

/** Process-wide resources every module shares: config, logger, Postgres, Temporal. */
@Global()
@Module({})
export class InfraModule {
  static forRoot(config: NimbusConfig, log: Logger) {
    return {
      module: InfraModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: log },
        {
          provide: DataSource,
          useFactory: () => createDataSource(config.databaseUrl, { poolSize: 20, applicationName: 'nimbus-api' }).initialize(),
        },
        {
          provide: Client,
          useFactory: async () =>
            new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace: config.temporalNamespace }),
        },
        ShutdownHook,
      ],
      exports: [CONFIG, LOGGER, DataSource, Client],
    };
  }
}

class ShutdownHook implements OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(Client) private readonly temporal: Client,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.temporal.connection.close();
    await this.db.destroy();
  }
}
