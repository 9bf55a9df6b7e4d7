import { Module } from '@nestjs/common';
import { ImagesController } from './images.controller.js';
import { ImagesResolver } from './images.resolver.js';
import { ImagesService } from './images.service.js';

/** The Glance role: image records, their bytes (upload, ranged download) and the seed image. */
@Module({ controllers: [ImagesController], providers: [ImagesService, ImagesResolver], exports: [ImagesService] })
export class ImagesModule {}
