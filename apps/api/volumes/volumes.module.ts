import { Module } from '@nestjs/common';
import { VolumesController } from './volumes.controller.js';
import { VolumesService } from './volumes.service.js';

@Module({ controllers: [VolumesController], providers: [VolumesService], exports: [VolumesService] })
export class VolumesModule {}
