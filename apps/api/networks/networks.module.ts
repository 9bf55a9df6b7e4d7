import { Module } from '@nestjs/common';
import { NetworksController } from './networks.controller.js';
import { NetworksResolver } from './networks.resolver.js';
import { NetworksService } from './networks.service.js';

@Module({
  controllers: [NetworksController],
  providers: [NetworksService, NetworksResolver],
  exports: [NetworksService],
})
export class NetworksModule {}
