import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { IdempotencyKey } from '../common/idempotency-key.js';
import { oneOf, uuidParam } from '../common/params.js';
import { CreateInstanceDto } from './create-instance.dto.js';
import { InstancesService } from './instances.service.js';
import { ApiProblems, ApiUuidParam } from '../common/api-problems.js';

const STATUSES = ['BUILD', 'ACTIVE', 'SHUTOFF', 'ERROR', 'DELETED'] as const;

@ApiTags('instances')
@ApiBearerAuth()
@Controller('v1/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Post()
  @HttpCode(202)
  @ApiProblems(409, 422, 503)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateInstanceDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { instance } = await this.instances.create(principal, body, idempotencyKey);
    res.setHeader('Location', `/v1/instances/${instance.id}`);
    return instance;
  }

  @Get()
  @ApiProblems(400)
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'host', required: false })
  list(@CurrentPrincipal() principal: Principal, @Query('status') status?: string, @Query('host') host?: string) {
    return this.instances.list(principal, { status: oneOf('status', status, STATUSES), host });
  }

  @Get(':id')
  @ApiUuidParam()
  @ApiProblems(404)
  @ApiQuery({ name: 'live', required: false, description: "add the workflow's live progress while building" })
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string, @Query('live') live?: string) {
    return this.instances.get(principal, id, { live: live === 'true' || live === '1' });
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiUuidParam()
  @ApiProblems(404)
  delete(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string) {
    return this.instances.delete(principal, id);
  }
}
