import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/auth.js';
import { FaultDto } from './host.dto.js';
import { HostsService } from './hosts.service.js';
import { ApiProblems } from '../common/api-problems.js';

/** The fault injection of DESIGN.md: arm a host's agent to fail a step, see what is armed, disarm. */
@ApiTags('hosts')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/admin/hosts/:name/faults')
export class HostFaultsController {
  constructor(private readonly hosts: HostsService) {}

  @Get()
  list(@Param('name') host: string) {
    return this.hosts.listFaults(host);
  }

  /** Arms (or re-arms) the fault of one step; answers with every fault armed on the host. */
  @Put()
  @ApiProblems(404)
  arm(@Param('name') host: string, @Body() fault: FaultDto) {
    return this.hosts.armFault(host, fault);
  }

  @Delete()
  @HttpCode(204)
  async clear(@Param('name') host: string): Promise<void> {
    await this.hosts.clearFaults(host);
  }
}
