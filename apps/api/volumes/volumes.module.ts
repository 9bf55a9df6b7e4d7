import { Module } from '@nestjs/common';
import { VolumesController } from './volumes.controller.js';
import { VolumesService } from './volumes.service.js';

/** Standalone volumes (REST only: GraphQL shows volumes as part of their instance). */
@Module({ controllers: [VolumesController], providers: [VolumesService], exports: [VolumesService] })
export class VolumesModule {}
