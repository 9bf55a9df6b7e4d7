import { Module } from '@nestjs/common';
import { HostFaultsController } from './host-faults.controller.js';
import { HostFaultsService } from './host-faults.service.js';
import { HostsController } from './hosts.controller.js';
import { HostsResolver } from './hosts.resolver.js';
import { HostsService } from './hosts.service.js';

@Module({
  controllers: [HostsController, HostFaultsController],
  providers: [HostsService, HostFaultsService, HostsResolver],
  exports: [HostsService],
})
export class HostsModule {}
