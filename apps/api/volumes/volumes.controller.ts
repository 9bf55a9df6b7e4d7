import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { IdempotencyKey } from '../common/idempotency-key.js';
import { oneOf, uuidParam, uuidQuery } from '../common/params.js';
import { CreateVolumeDto } from './create-volume.dto.js';
import { VolumesService } from './volumes.service.js';
import { ApiProblems, ApiUuidParam, ApiUuidQuery } from '../common/api-problems.js';

const STATUSES = ['creating', 'available', 'attaching', 'in-use', 'deleted', 'error'] as const;

@ApiTags('volumes')
@ApiBearerAuth()
@Controller('v1/volumes')
export class VolumesController {
  constructor(private readonly volumes: VolumesService) {}

  @Post()
  @ApiProblems(409)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateVolumeDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const volume = await this.volumes.create(principal, body, idempotencyKey);
    res.setHeader('Location', `/v1/volumes/${volume.id}`);
    return volume;
  }

  @Get()
  @ApiUuidQuery('instance', 'volumes attached to (or reserved by) this instance')
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiUuidQuery('project', "admin only: one project's volumes")
  list(
    @CurrentPrincipal() principal: Principal,
    @Query('instance') instance?: string,
    @Query('status') status?: string,
    @Query('project') project?: string,
  ) {
    return this.volumes.list(principal, {
      status: oneOf('status', status, STATUSES),
      instanceId: uuidQuery('instance', instance),
      projectId: uuidQuery('project', project),
    });
  }

  @Get(':id')
  @ApiUuidParam()
  @ApiProblems(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string) {
    return this.volumes.get(principal, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiUuidParam()
  @ApiProblems(404, 409)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string): Promise<void> {
    await this.volumes.delete(principal, id);
  }
}
