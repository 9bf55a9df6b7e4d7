import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiTokens } from '../../../core/projects/api-tokens.js';
import { ApiProblems, ApiUuidParam } from '../common/api-problems.js';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { uuidParam } from '../common/params.js';
import { Problem } from '../common/problem.js';

/**
 * Revoking bearer tokens (project, Keystone and application-credential tokens alike): a revoked
 * token answers 401 from then on. `current` is the caller's own; by id, a project token revokes
 * its project's tokens and the admin any.
 */
@ApiTags('projects')
@ApiBearerAuth()
@Controller('v1/tokens')
export class TokensController {
  constructor(private readonly tokens: ApiTokens) {}

  @Delete('current')
  @HttpCode(204)
  async revokeCurrent(@CurrentPrincipal() principal: Principal) {
    await this.tokens.revoke(principal.tokenId, { projectId: principal.projectId, isAdmin: true });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiUuidParam('id')
  @ApiProblems(404)
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string) {
    if (!(await this.tokens.revoke(id, principal))) throw Problem.notFound('token', id);
  }
}
