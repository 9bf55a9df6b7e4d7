import { Controller, Get, Param, Query, Req, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { isUuid } from '../../../../core/ids.js';
import { AdminOnly, CurrentPrincipal, Public, type Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { FlavorsService } from '../../flavors/flavors.service.js';
import { HostsService } from '../../hosts/hosts.service.js';
import { ProjectsService } from '../../projects/projects.service.js';
import { baseUrl, first } from '../common/endpoints.js';
import { NovaErrors } from '../common/os-errors.js';
import {
  COMPUTE_VERSION,
  flavorBrief,
  flavorDetail,
  hypervisorView,
  limitsView,
  serviceView,
} from './compute-views.js';

/** Every Nimbus flavor is public: is_public=false lists none; true, None (the CLI's "all") and unset list all. */
function publicFilter(isPublic: string | undefined): boolean {
  return isPublic === undefined || !['false', '0', 'no'].includes(isPublic.toLowerCase());
}

/** Nova's version documents, flavors, services, hypervisors and limits. */
@ApiExcludeController()
@UseFilters(NovaErrors)
@Controller('compute')
export class ComputeController {
  constructor(
    private readonly flavors: FlavorsService,
    private readonly hosts: HostsService,
    private readonly projects: ProjectsService,
  ) {}

  @Public()
  @Get()
  versions(@Req() req: Request) {
    return { versions: [COMPUTE_VERSION(baseUrl(req))] };
  }

  @Public()
  @Get('v2.1')
  version(@Req() req: Request) {
    return { version: COMPUTE_VERSION(baseUrl(req)) };
  }

  @Get('v2.1/flavors')
  async flavorList(@Query() query: Record<string, unknown>, @Req() req: Request) {
    const all = publicFilter(first(query.is_public)) ? await this.flavors.list() : [];
    return { flavors: all.map((f) => flavorBrief(f, baseUrl(req))) };
  }

  @Get('v2.1/flavors/detail')
  async flavorDetails(@Query() query: Record<string, unknown>, @Req() req: Request) {
    const all = publicFilter(first(query.is_public)) ? await this.flavors.list() : [];
    return { flavors: all.map((f) => flavorDetail(f, baseUrl(req))) };
  }

  /** By id only, as Nova: a name answers 404 and the client then lists. */
  @Get('v2.1/flavors/:id')
  async flavor(@Param('id') id: string, @Req() req: Request) {
    if (!isUuid(id)) throw Problem.notFound('flavor', id);
    return { flavor: flavorDetail(await this.flavors.get(id), baseUrl(req)) };
  }

  @Get('v2.1/flavors/:id/os-extra_specs')
  async extraSpecs(@Param('id') id: string) {
    if (!isUuid(id)) throw Problem.notFound('flavor', id);
    await this.flavors.get(id);
    return { extra_specs: {} };
  }

  @AdminOnly()
  @Get('v2.1/os-services')
  async services() {
    return { services: (await this.hosts.list()).map(serviceView) };
  }

  @AdminOnly()
  @Get('v2.1/os-hypervisors')
  async hypervisors() {
    const all = await this.hosts.list();
    return {
      hypervisors: all.map((h, i) => {
        const { id, hypervisor_hostname, state, status } = hypervisorView(h, i);
        return { id, hypervisor_hostname, state, status };
      }),
    };
  }

  @AdminOnly()
  @Get('v2.1/os-hypervisors/detail')
  async hypervisorDetails() {
    return { hypervisors: (await this.hosts.list()).map(hypervisorView) };
  }

  @Get('v2.1/limits')
  async limits(@CurrentPrincipal() principal: Principal) {
    const p = await this.projects.get(principal.projectId);
    return limitsView(p.quotas, p.usage as unknown as Record<string, number>);
  }
}
