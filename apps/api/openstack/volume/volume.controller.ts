import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { isUuid } from '../../../../core/ids.js';
import { CurrentPrincipal, Public, type Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { validationPipe } from '../../common/validation.js';
import { CreateVolumeDto } from '../../volumes/create-volume.dto.js';
import { VolumesService } from '../../volumes/volumes.service.js';
import { baseUrl, first } from '../common/endpoints.js';
import { NovaErrors } from '../common/os-errors.js';
import { VOLUME_VERSION, cinderVolume } from './volume-view.js';

/** The project in Cinder's path must be the caller's (the admin may name any). */
function checkProject(principal: Principal, projectId: string): void {
  if (!principal.isAdmin && principal.projectId !== projectId) throw Problem.notFound('project', projectId);
}

/** Cinder v3 at /volume/v3/{project_id}: volumes over the native VolumesService. */
@ApiExcludeController()
@UseFilters(NovaErrors)
@Controller('volume')
export class VolumeController {
  constructor(private readonly volumes: VolumesService) {}

  @Public()
  @Get()
  versions(@Req() req: Request) {
    return { versions: [VOLUME_VERSION(baseUrl(req))] };
  }

  @Public()
  @Get('v3')
  version(@Req() req: Request) {
    return { versions: [VOLUME_VERSION(baseUrl(req))] };
  }

  @Post('v3/:projectId/volumes')
  @HttpCode(202)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Param('projectId') projectId: string,
    @Body() body: { volume?: { size?: unknown; name?: string | null } },
    @Req() req: Request,
  ) {
    checkProject(principal, projectId);
    const plain = { sizeGb: Number(body.volume?.size), ...(body.volume?.name ? { name: body.volume.name } : {}) };
    const dto = (await validationPipe.transform(plain, { type: 'body', metatype: CreateVolumeDto })) as CreateVolumeDto;
    return { volume: cinderVolume(await this.volumes.create(principal, dto), baseUrl(req)) };
  }

  @Get('v3/:projectId/volumes')
  async list(@CurrentPrincipal() principal: Principal, @Param('projectId') projectId: string, @Req() req: Request) {
    const found = await this.find(principal, projectId, req.query);
    return {
      volumes: found.map((v) => ({ id: v.id, name: v.name ?? '', links: cinderVolume(v, baseUrl(req)).links })),
    };
  }

  @Get('v3/:projectId/volumes/detail')
  async detail(@CurrentPrincipal() principal: Principal, @Param('projectId') projectId: string, @Req() req: Request) {
    const found = await this.find(principal, projectId, req.query);
    return { volumes: found.map((v) => cinderVolume(v, baseUrl(req))) };
  }

  @Get('v3/:projectId/volumes/:id')
  async show(
    @CurrentPrincipal() principal: Principal,
    @Param('projectId') projectId: string,
    @Param('id') id: string,
    @Req() req: Request,
  ) {
    checkProject(principal, projectId);
    // A name is not an id: 404, and the client lists by name.
    if (!isUuid(id)) throw Problem.notFound('volume', id);
    const v = await this.volumes.get(principal, id);
    if (v.status === 'deleted') throw Problem.notFound('volume', id);
    return { volume: cinderVolume(v, baseUrl(req)) };
  }

  @Delete('v3/:projectId/volumes/:id')
  @HttpCode(202)
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Param('projectId') projectId: string,
    @Param('id') id: string,
  ) {
    checkProject(principal, projectId);
    await this.volumes.delete(principal, id);
  }

  private async find(principal: Principal, projectId: string, query: Request['query']) {
    checkProject(principal, projectId);
    const all = await this.volumes.list(principal, { status: first(query.status) });
    const name = first(query.name);
    return all.filter((v) => name === undefined || v.name === name);
  }
}
