import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { HOST_STATUSES } from '../../../core/scheduling/host-registry.js';
import { AdminOnly } from '../common/auth.js';
import { oneOf } from '../common/params.js';
import { FaultDto, HostUpdateDto } from './host.dto.js';
import { HostsService } from './hosts.service.js';

/** Admin views of the compute hosts, and the fault injection of DESIGN.md. */
@ApiTags('hosts')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1')
export class HostsController {
  constructor(private readonly hosts: HostsService) {}

  /** Capacity, usage, free room (capacity × ratio − used) and liveness; `?status=down` finds the dead ones. */
  @Get('hosts')
  @ApiQuery({ name: 'status', required: false, enum: HOST_STATUSES })
  list(@Query('status') status?: string) {
    return this.hosts.list(oneOf('status', status, HOST_STATUSES));
  }

  @Get('hosts/:name')
  get(@Param('name') name: string) {
    return this.hosts.get(name);
  }

  @Put('hosts/:name')
  update(@Param('name') name: string, @Body() body: HostUpdateDto) {
    return this.hosts.update(name, body);
  }

  @Get('admin/hosts/:name/faults')
  listFaults(@Param('name') name: string) {
    return this.hosts.listFaults(name);
  }

  @Put('admin/hosts/:name/faults')
  arm(@Param('name') name: string, @Body() body: FaultDto) {
    return this.hosts.armFault(name, body);
  }

  @Delete('admin/hosts/:name/faults')
  @HttpCode(204)
  async clear(@Param('name') name: string): Promise<void> {
    await this.hosts.clearFaults(name);
  }
}
