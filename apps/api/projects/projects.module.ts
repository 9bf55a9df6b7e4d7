import { Module } from '@nestjs/common';
import { ProjectsController } from './projects.controller.js';
import { ProjectsService } from './projects.service.js';
import { TokensController } from './tokens.controller.js';

/** Tenants (REST only, admin only), and revoking tokens (any token, its own or its project's). */
@Module({
  controllers: [ProjectsController, TokensController],
  providers: [ProjectsService],
  exports: [ProjectsService],
})
export class ProjectsModule {}
