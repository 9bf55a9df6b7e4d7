import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { NimbusConfig } from '../../../core/config.js';
import { KeystoneTokens } from '../../../core/identity/keystone-tokens.js';
import { Users } from '../../../core/identity/users.js';
import { CONFIG } from '../common/core.module.js';
import { FlavorsModule } from '../flavors/flavors.module.js';
import { HostsModule } from '../hosts/hosts.module.js';
import { ImagesModule } from '../images/images.module.js';
import { InstanceVolumesService } from '../instances/instance-volumes.service.js';
import { InstancesModule } from '../instances/instances.module.js';
import { NetworksModule } from '../networks/networks.module.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { GlanceErrors, KeystoneErrors, NeutronErrors, NovaErrors } from './common/os-errors.js';
import { ComputeController } from './compute/compute.controller.js';
import { NovaServers } from './compute/nova-servers.js';
import { ServerActionsController } from './compute/server-actions.controller.js';
import { ServersController } from './compute/servers.controller.js';
import { INSTANCE_VOLUMES } from './compute/volume-attachments.js';
import { VolumeAttachmentsController } from './compute/volume-attachments.controller.js';
import { IdentityController } from './identity/identity.controller.js';
import { KeystoneLogin } from './identity/keystone-login.js';
import { GlanceImages } from './image/glance-images.js';
import { ImageController } from './image/image.controller.js';
import { ImageMembersController } from './image/image-members.controller.js';
import { NetworkController } from './network/network.controller.js';
import { NeutronNetworks } from './network/neutron-networks.js';
import { VolumeController } from './volume/volume.controller.js';

/**
 * The OpenStack-compatible API on the native API's port, laid out as devstack lays it out:
 * /identity, /compute/v2.1, /image, /network, /volume/v3/{project_id}. Each route calls the
 * native services (and so starts the same workflows); only the shapes are translated here.
 */
@Module({
  imports: [InstancesModule, ImagesModule, NetworksModule, VolumesModule, FlavorsModule, HostsModule, ProjectsModule],
  controllers: [
    IdentityController,
    ComputeController,
    ServersController,
    ServerActionsController,
    VolumeAttachmentsController,
    ImageController,
    ImageMembersController,
    NetworkController,
    VolumeController,
  ],
  providers: [
    { provide: Users, useFactory: (db: DataSource) => new Users(db), inject: [DataSource] },
    {
      provide: KeystoneTokens,
      useFactory: (db: DataSource, c: NimbusConfig) => new KeystoneTokens(db, c.tokenTtlSec),
      inject: [DataSource, CONFIG],
    },
    { provide: INSTANCE_VOLUMES, useExisting: InstanceVolumesService },
    KeystoneLogin,
    NovaServers,
    GlanceImages,
    NeutronNetworks,
    NovaErrors,
    NeutronErrors,
    KeystoneErrors,
    GlanceErrors,
  ],
})
export class OpenstackModule {}
