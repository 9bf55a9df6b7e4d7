import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { NimbusConfig } from '../../../core/config.js';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { CONFIG } from '../common/core.module.js';

/**
 * Who the token is (the console's sign-in checks it here) and where the build workflows can be
 * seen: the Temporal Web UI's port on the API's own host name, and the namespace.
 */
@ApiTags('session')
@ApiBearerAuth()
@Controller('v1/session')
export class SessionController {
  constructor(@Inject(CONFIG) private readonly config: NimbusConfig) {}

  @Get()
  session(@CurrentPrincipal() principal: Principal) {
    return {
      projectId: principal.projectId,
      isAdmin: principal.isAdmin,
      temporalUi: { port: this.config.temporalUiPort, namespace: this.config.temporalNamespace },
    };
  }
}
