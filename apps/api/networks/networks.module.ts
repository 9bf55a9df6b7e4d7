import { Module } from '@nestjs/common';
import { NetworksController } from './networks.controller.js';

@Module({ controllers: [NetworksController] })
export class NetworksModule {}
