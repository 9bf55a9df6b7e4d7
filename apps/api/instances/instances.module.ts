import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BuildAdmission } from '../../../core/instances/build-admission.js';
import { BUILD_ADMISSION, BuildStarter } from './build-starter.js';
import { InstanceActionsController } from './instance-actions.controller.js';
import { InstanceActionsService } from './instance-actions.service.js';
import { InstanceVolumesController } from './instance-volumes.controller.js';
import { InstanceVolumesService } from './instance-volumes.service.js';
import { InstanceWorkflows } from './instance-workflows.js';
import { InstancesController } from './instances.controller.js';
import { InstancesResolver } from './instances.resolver.js';
import { InstancesService } from './instances.service.js';
import { PowerWorkflows } from './power-workflows.js';

/**
 * Instances: REST and GraphQL over one service, which starts the build and delete workflows;
 * power actions, the console and volume attachments beside them. Builds are admitted with a
 * durable start (BuildStarter over core/instances/build-admission.ts).
 */
@Module({
  controllers: [InstancesController, InstanceActionsController, InstanceVolumesController],
  providers: [
    ...[InstancesService, InstanceWorkflows, InstancesResolver, InstanceActionsService, PowerWorkflows],
    InstanceVolumesService,
    BuildStarter,
    { provide: BUILD_ADMISSION, inject: [DataSource], useFactory: (db: DataSource) => new BuildAdmission(db) },
  ],
  exports: [InstancesService, InstanceActionsService, InstanceVolumesService],
})
export class InstancesModule {}
