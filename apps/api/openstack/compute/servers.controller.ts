import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { InstanceView } from '../../../../core/instances/instance-view.js';
import { CurrentPrincipal, type Principal } from '../../common/auth.js';
import { baseUrl, first } from '../common/endpoints.js';
import { NovaErrors } from '../common/os-errors.js';
import { NovaServers } from './nova-servers.js';
import type { NovaServerCreate } from './server-request.js';
import { serverBrief, serverDetail, serverLinks } from './server-view.js';

/** Nova v2.1 servers: create, list, detail, show, delete. */
@ApiExcludeController()
@UseFilters(NovaErrors)
@Controller('compute/v2.1/servers')
export class ServersController {
  constructor(private readonly servers: NovaServers) {}

  @Post()
  @HttpCode(202)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: NovaServerCreate,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const v = await this.servers.create(principal, body);
    const base = baseUrl(req);
    res.setHeader('Location', `${base}/compute/v2.1/servers/${v.id}`);
    return {
      server: {
        id: v.id,
        links: serverLinks(base, v.id),
        'OS-DCF:diskConfig': 'MANUAL',
        security_groups: [{ name: 'default' }],
      },
    };
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>, @Req() req: Request) {
    const views = await this.servers.list(principal, { name: first(query.name), status: first(query.status) });
    return { servers: views.map((v) => serverBrief(v, baseUrl(req))) };
  }

  @Get('detail')
  async detail(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>, @Req() req: Request) {
    const views = await this.servers.list(principal, { name: first(query.name), status: first(query.status) });
    return { servers: await this.details(views, baseUrl(req)) };
  }

  @Get(':id')
  async show(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Req() req: Request) {
    const [server] = await this.details([await this.servers.get(principal, id)], baseUrl(req));
    return { server };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    await this.servers.delete(principal, id);
  }

  private async details(views: InstanceView[], base: string) {
    const extras = await this.servers.extras(views.map((v) => v.id));
    return views.map((v) => serverDetail(v, base, extras.get(v.id) ?? null));
  }
}
