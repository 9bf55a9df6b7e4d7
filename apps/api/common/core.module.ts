import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import path from 'node:path';
import { DataSource } from 'typeorm';
import type { NimbusConfig } from '../../../core/config.js';
import { createDataSource } from '../../../core/db/data-source.js';
import { ImageStore } from '../../../core/images/image-store.js';
import { InstanceChangeFeed } from '../../../core/instances/instance-changes.js';
import { InstanceRecords } from '../../../core/instances/instance-records.js';
import { InstanceViews } from '../../../core/instances/instance-view.js';
import type { Logger } from '../../../core/logger.js';
import { NetworkService } from '../../../core/network/network-service.js';
import { ApiTokens } from '../../../core/projects/api-tokens.js';
import { HostRegistry } from '../../../core/scheduling/host-registry.js';
import { VolumeService } from '../../../core/storage/volume-service.js';
import { exportLunOf } from '../../../core/storage/iscsi-target.js';

import { ClientLimits } from './rate-limit.js';

export const CONFIG = Symbol('NimbusConfig');
export const LOGGER = Symbol('Logger');

/** A core (domain) service built once from the database and the configuration. */
function domain<T>(token: new (...args: never[]) => T, make: (db: DataSource, config: NimbusConfig) => T) {
  return { provide: token, useFactory: make, inject: [DataSource, CONFIG] };
}

/**
 * Process-wide resources every module shares: config, logger, Postgres, Temporal, and the
 * domain services of core/, each made once here rather than by every class that uses it.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: NimbusConfig, log: Logger): DynamicModule {
    const services = [
      domain(InstanceViews, (db) => new InstanceViews(db)),
      domain(InstanceRecords, (db) => new InstanceRecords(db)),
      domain(NetworkService, (db) => new NetworkService(db)),
      domain(VolumeService, (db, c) => new VolumeService(db, c.iscsiPortal, undefined, exportLunOf(c.storageBackend))),
      domain(HostRegistry, (db, c) => new HostRegistry(db, c.serviceDownTimeSec)),
      domain(ApiTokens, (db, c) => new ApiTokens(db, c.apiTokenTtlSec)),
      { provide: ImageStore, useFactory: () => new ImageStore(path.join(config.dataDir, 'images')) },
      { provide: ClientLimits, useValue: new ClientLimits(config.apiRateLimit) },
      {
        provide: InstanceChangeFeed,
        useFactory: async () => {
          const feed = new InstanceChangeFeed(config.databaseUrl, log);
          await feed.start();
          return feed;
        },
      },
    ];
    return {
      module: CoreModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: log },
        {
          provide: DataSource,
          useFactory: () =>
            createDataSource(config.databaseUrl, { poolSize: 20, applicationName: 'nimbus-api' }).initialize(),
        },
        {
          provide: Client,
          useFactory: async () =>
            new Client({
              connection: await Connection.connect({ address: config.temporalAddress }),
              namespace: config.temporalNamespace,
            }),
        },
        ...services,
        ShutdownHook,
      ],
      exports: [CONFIG, LOGGER, DataSource, Client, ...services.map((s) => s.provide)],
    };
  }
}

class ShutdownHook implements OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(Client) private readonly temporal: Client,
    @Inject(InstanceChangeFeed) private readonly feed: InstanceChangeFeed,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.feed.close();
    await this.temporal.connection.close();
    await this.db.destroy();
  }
}
