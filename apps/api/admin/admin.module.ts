import { Module } from '@nestjs/common';
import { InvariantsController } from './invariants.controller.js';

@Module({ controllers: [InvariantsController] })
export class AdminModule {}
