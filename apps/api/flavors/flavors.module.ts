import { Module } from '@nestjs/common';
import { FlavorsController } from './flavors.controller.js';
import { FlavorsResolver } from './flavors.resolver.js';
import { FlavorsService } from './flavors.service.js';

@Module({ controllers: [FlavorsController], providers: [FlavorsService, FlavorsResolver], exports: [FlavorsService] })
export class FlavorsModule {}
