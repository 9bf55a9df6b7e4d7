import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { Problem } from '../common/problem.js';
import { CreateInstanceDto } from './create-instance.dto.js';
import { InstancesService } from './instances.service.js';

const STATUSES = ['BUILD', 'ACTIVE', 'ERROR', 'DELETED'];
const uuid = new ParseUUIDPipe({ exceptionFactory: () => Problem.validation([{ field: 'id', message: 'must be a UUID' }]) });

@ApiTags('instances')
@ApiBearerAuth()
@Controller('v1/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'repeat a request safely: the same key and body return the same instance' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateInstanceDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw Problem.validation([{ field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' }]);
    }
    const { instance } = await this.instances.create(principal, body, idempotencyKey);
    res.setHeader('Location', `/v1/instances/${instance.id}`);
    return instance;
  }

  @Get()
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'host', required: false })
  list(@CurrentPrincipal() principal: Principal, @Query('status') status?: string, @Query('host') host?: string) {
    if (status !== undefined && !STATUSES.includes(status)) {
      throw Problem.validation([{ field: 'status', message: `must be one of ${STATUSES.join(', ')}` }]);
    }
    return this.instances.list(principal, { status, host });
  }

  @Get(':id')
  @ApiQuery({ name: 'live', required: false, description: 'add the workflow\'s live progress while building' })
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string, @Query('live') live?: string) {
    return this.instances.get(principal, id, { live: live === 'true' || live === '1' });
  }

  @Delete(':id')
  @HttpCode(202)
  delete(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string) {
    return this.instances.delete(principal, id);
  }
}
