import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { Problem } from '../common/problem.js';
import { CreateVolumeDto } from './create-volume.dto.js';
import { VolumesService } from './volumes.service.js';
import { isUuid } from '../../../core/ids.js';

const STATUSES = ['creating', 'available', 'attaching', 'in-use', 'deleted', 'error'];
const uuid = new ParseUUIDPipe({ exceptionFactory: () => Problem.validation([{ field: 'id', message: 'must be a UUID' }]) });

function uuidQuery(field: string, value: string | undefined): string | undefined {
  if (value !== undefined && !isUuid(value)) throw Problem.validation([{ field, message: 'must be a UUID' }]);
  return value;
}

@ApiTags('volumes')
@ApiBearerAuth()
@Controller('v1/volumes')
export class VolumesController {
  constructor(private readonly volumes: VolumesService) {}

  @Post()
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'repeat a request safely: the same key and body return the same volume' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateVolumeDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw Problem.validation([{ field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' }]);
    }
    const volume = await this.volumes.create(principal, body, idempotencyKey);
    res.setHeader('Location', `/v1/volumes/${volume.id}`);
    return volume;
  }

  @Get()
  @ApiQuery({ name: 'instance', required: false, description: 'volumes attached to (or reserved by) this instance' })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'project', required: false, description: 'admin only: one project\'s volumes' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query('instance') instance?: string,
    @Query('status') status?: string,
    @Query('project') project?: string,
  ) {
    if (status !== undefined && !STATUSES.includes(status)) {
      throw Problem.validation([{ field: 'status', message: `must be one of ${STATUSES.join(', ')}` }]);
    }
    return this.volumes.list(principal, { instanceId: uuidQuery('instance', instance), status, projectId: uuidQuery('project', project) });
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string) {
    return this.volumes.get(principal, id);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string): Promise<void> {
    await this.volumes.delete(principal, id);
  }
}
