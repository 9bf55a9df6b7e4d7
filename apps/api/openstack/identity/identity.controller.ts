import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { KeystoneTokens } from '../../../../core/identity/keystone-tokens.js';
import { DEFAULT_DOMAIN, ROLES, Users, type Role } from '../../../../core/identity/users.js';
import { AdminOnly, CurrentPrincipal, Public, type Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { ProjectsService } from '../../projects/projects.service.js';
import { KeystoneErrors } from '../common/os-errors.js';
import { baseUrl } from '../common/endpoints.js';
import { KeystoneLogin } from './keystone-login.js';
import { roleRef, tokenBody } from './token-view.js';

const V3 = (base: string) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${base}/identity/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

const invalidSubject = () => Problem.notFound('token', '(X-Subject-Token)');

/** Keystone v3 at /identity: versions, tokens, and the few admin calls a cloud's users need. */
@ApiExcludeController()
@UseFilters(KeystoneErrors)
@Controller('identity')
export class IdentityController {
  constructor(
    private readonly login: KeystoneLogin,
    private readonly tokens: KeystoneTokens,
    private readonly users: Users,
    private readonly projects: ProjectsService,
  ) {}

  @Public()
  @Get()
  versions(@Req() req: Request) {
    return { versions: { values: [V3(baseUrl(req))] } };
  }

  @Public()
  @Get('v3')
  version(@Req() req: Request) {
    return { version: V3(baseUrl(req)) };
  }

  @Public()
  @Post('v3/auth/tokens')
  @HttpCode(201)
  async issue(@Body() body: object, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const token = await this.login.login(body);
    res.setHeader('X-Subject-Token', token.token);
    return tokenBody(token, baseUrl(req), this.login.region);
  }

  @Get('v3/auth/tokens')
  async validate(@Headers('x-subject-token') subject: string | undefined, @Req() req: Request) {
    const token = subject ? await this.tokens.validate(subject) : null;
    if (!token) throw invalidSubject();
    return tokenBody(token, baseUrl(req), this.login.region, req.query.nocatalog === undefined);
  }

  @Delete('v3/auth/tokens')
  @HttpCode(204)
  async revoke(@Headers('x-subject-token') subject: string | undefined) {
    if (!subject || !(await this.tokens.revoke(subject))) throw invalidSubject();
  }

  @Get('v3/roles')
  roles() {
    return { roles: ROLES.map(roleRef) };
  }

  @AdminOnly()
  @Post('v3/projects')
  @HttpCode(201)
  async createProject(@Body() body: { project?: { name?: string } }) {
    const name = body.project?.name;
    if (!name) throw Problem.validation([{ field: 'project.name', message: 'required' }]);
    const p = await this.projects.create({ name });
    return { project: { id: p.id, name: p.name, domain_id: DEFAULT_DOMAIN.id, enabled: true, is_domain: false } };
  }

  @AdminOnly()
  @Post('v3/users')
  @HttpCode(201)
  async createUser(@Body() body: { user?: { name?: string; password?: string; default_project_id?: string } }) {
    const { name, password, default_project_id } = body.user ?? {};
    if (!name || !password) throw Problem.validation([{ field: 'user', message: 'name and password are required' }]);
    const user = await this.users.create(name, password);
    if (default_project_id) await this.users.grant(user.id, default_project_id, 'member');
    return { user: { id: user.id, name: user.name, domain_id: user.domainId, enabled: true, default_project_id } };
  }

  @AdminOnly()
  @Put('v3/projects/:projectId/users/:userId/roles/:role')
  @HttpCode(204)
  async assignRole(
    @Param('projectId') projectId: string,
    @Param('userId') userId: string,
    @Param('role') role: string,
  ) {
    if (!(ROLES as readonly string[]).includes(role)) throw Problem.notFound('role', role);
    if (!(await this.users.get(userId))) throw Problem.notFound('user', userId);
    await this.projects.get(projectId);
    await this.users.grant(userId, projectId, role as Role);
  }

  /** An application credential: a project token of the caller's project, with the caller's role. */
  @Post('v3/users/:userId/application_credentials')
  @HttpCode(201)
  async createApplicationCredential(
    @CurrentPrincipal() principal: Principal,
    @Param('userId') userId: string,
    @Headers('x-auth-token') authToken: string | undefined,
    @Body() body: { application_credential?: { name?: string } },
  ) {
    const caller = authToken ? await this.tokens.validate(authToken) : null;
    if (!caller || caller.userId !== userId) throw Problem.notFound('user', userId);
    const name = body.application_credential?.name ?? 'application-credential';
    const { id, secret } = await this.tokens.createApplicationCredential(caller, name);
    const roles = [roleRef(caller.role)].map(({ id: rid, name: rname }) => ({ id: rid, name: rname }));
    return {
      application_credential: {
        id,
        name,
        secret,
        user_id: userId,
        project_id: principal.projectId,
        roles,
        expires_at: null,
        unrestricted: false,
        description: null,
      },
    };
  }
}
