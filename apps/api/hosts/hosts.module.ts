import { Module } from '@nestjs/common';
import { HostFaultsController } from './host-faults.controller.js';
import { HostsController } from './hosts.controller.js';
import { HostsResolver } from './hosts.resolver.js';
import { HostsService } from './hosts.service.js';

@Module({
  controllers: [HostsController, HostFaultsController],
  providers: [HostsService, HostsResolver],
  exports: [HostsService],
})
export class HostsModule {}
