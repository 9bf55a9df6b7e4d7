import { Module } from '@nestjs/common';
import { InstanceWorkflows } from './instance-workflows.js';
import { InstancesController } from './instances.controller.js';
import { InstancesResolver } from './instances.resolver.js';
import { InstancesService } from './instances.service.js';

/** Instances: REST and GraphQL over one service, which starts the build and delete workflows. */
@Module({
  controllers: [InstancesController],
  providers: [InstancesService, InstanceWorkflows, InstancesResolver],
  exports: [InstancesService],
})
export class InstancesModule {}
