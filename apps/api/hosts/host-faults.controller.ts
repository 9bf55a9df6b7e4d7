import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/auth.js';
import { FaultDto } from './host.dto.js';
import { HostFaultsService } from './host-faults.service.js';
import { ApiProblems } from '../common/api-problems.js';

/**
 * The fault injection of DESIGN.md: arm a host's agent to fail a step, see what is armed, disarm.
 * The host holds its faults, so each request asks its agent: 503 when the agent does not answer.
 */
@ApiTags('hosts')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/admin/hosts/:name/faults')
@ApiProblems(404, 503)
export class HostFaultsController {
  constructor(private readonly faults: HostFaultsService) {}

  /** Every fault armed on the host, with the firings it has left (0 once spent). */
  @Get()
  list(@Param('name') host: string) {
    return this.faults.list(host);
  }

  /** Arms (or re-arms) the fault of one step; answers with every fault armed on the host. */
  @Put()
  arm(@Param('name') host: string, @Body() fault: FaultDto) {
    return this.faults.arm(host, fault);
  }

  @Delete()
  @HttpCode(204)
  async clear(@Param('name') host: string): Promise<void> {
    await this.faults.clear(host);
  }
}
