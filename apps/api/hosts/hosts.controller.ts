import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { HOST_STATUSES } from '../../../core/scheduling/host-registry.js';
import { AdminOnly } from '../common/auth.js';
import { oneOf } from '../common/params.js';
import { HostUpdateDto } from './host.dto.js';
import { HostsService } from './hosts.service.js';
import { ApiProblems } from '../common/api-problems.js';

/** Admin views of the compute hosts, and taking one out of scheduling. */
@ApiTags('hosts')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/hosts')
export class HostsController {
  constructor(private readonly hosts: HostsService) {}

  /** Capacity, usage, free room (capacity × ratio − used) and liveness; `?status=down` finds the dead ones. */
  @Get()
  @ApiProblems(400)
  @ApiQuery({ name: 'status', required: false, enum: HOST_STATUSES })
  list(@Query('status') status?: string) {
    return this.hosts.list(oneOf('status', status, HOST_STATUSES));
  }

  @Get(':name')
  @ApiProblems(404)
  get(@Param('name') name: string) {
    return this.hosts.get(name);
  }

  @Put(':name')
  @ApiProblems(404)
  update(@Param('name') name: string, @Body() body: HostUpdateDto) {
    return this.hosts.update(name, body);
  }
}
