import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import type { NimbusConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { CatalogController } from './catalog/catalog.controller.js';
import { AdminModule } from './admin/admin.module.js';
import { AuthGuard } from './common/auth.js';
import { InfraModule } from './common/infra.module.js';
import { queryLimits } from './graphql/query-limits.js';
import { NimbusResolver } from './graphql/resolvers.js';
import { ProjectsController } from './projects/projects.controller.js';
import { HealthController } from './health/health.controller.js';
import { HostsController } from './hosts/hosts.controller.js';
import { ImagesController } from './images/images.controller.js';
import { ImagesService } from './images/images.service.js';
import { InstancesModule } from './instances/instances.module.js';
import { NetworksModule } from './networks/networks.module.js';
import { VolumesModule } from './volumes/volumes.module.js';

@Module({})
export class AppModule {
  static forRoot(config: NimbusConfig, log: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfraModule.forRoot(config, log),
        InstancesModule,
        AdminModule,
        NetworksModule,
        VolumesModule,
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          includeStacktraceInErrorResponses: false,
          validationRules: [queryLimits()],
          subscriptions: { 'graphql-ws': true },
          // Over a WebSocket there is no HTTP request: the token comes in the connection params.
          context: ({ req, connectionParams }: { req?: unknown; connectionParams?: { authorization?: string } }) => ({
            req: req ?? { headers: { authorization: connectionParams?.authorization } },
          }),
        }),
      ],
      controllers: [HealthController, CatalogController, HostsController, ImagesController, ProjectsController],
      providers: [ImagesService, NimbusResolver, { provide: APP_GUARD, useClass: AuthGuard }],
    };
  }
}
