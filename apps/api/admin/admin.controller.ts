import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/auth.js';
import { AdminService, type InvariantReport } from './admin.service.js';

/**
 * The leak checker (core/invariants) for operators: claims, ports, addresses, attachments,
 * build volumes, host usage and pool allocation against the instances that own them.
 * Database checks only: the domains live on each host's own disk, which the API cannot
 * see — a compute agent's reconciliation (at start and periodically) compares those.
 */
@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('invariants')
  @ApiOperation({
    summary:
      'Everything that leaked: resources held for instances in ERROR, DELETED or gone; ' +
      'usage that is not the sum of claims',
  })
  invariants(): Promise<InvariantReport> {
    return this.admin.invariants();
  }
}
