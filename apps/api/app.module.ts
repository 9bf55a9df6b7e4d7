import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { NimbusConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { AdminModule } from './admin/admin.module.js';
import { AuthGuard } from './common/auth.js';
import { CoreModule } from './common/core.module.js';
import { ConsoleModule } from './console/console.module.js';
import { FlavorsModule } from './flavors/flavors.module.js';
import { graphqlRoot } from './graphql/graphql-root.js';
import { GraphqlWsServer } from './graphql/graphql-ws-server.js';
import { HealthModule } from './health/health.module.js';
import { HostsModule } from './hosts/hosts.module.js';
import { ImagesModule } from './images/images.module.js';
import { InstancesModule } from './instances/instances.module.js';
import { NetworksModule } from './networks/networks.module.js';
import { OpenstackModule } from './openstack/openstack.module.js';
import { ProjectsModule } from './projects/projects.module.js';
import { VolumesModule } from './volumes/volumes.module.js';

/** The API: one module per resource, over the core services CoreModule provides once. */
@Module({})
export class AppModule {
  static forRoot(config: NimbusConfig, log: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, log),
        graphqlRoot(),
        HealthModule,
        InstancesModule,
        ImagesModule,
        NetworksModule,
        VolumesModule,
        HostsModule,
        FlavorsModule,
        ProjectsModule,
        AdminModule,
        ConsoleModule,
        OpenstackModule,
      ],
      providers: [{ provide: APP_GUARD, useClass: AuthGuard }, GraphqlWsServer],
    };
  }
}
