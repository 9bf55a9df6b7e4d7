import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { checkInvariants, type Violation } from '../../../core/invariants/check-invariants.js';
import { AdminOnly } from '../common/auth.js';

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
export class InvariantsController {
  constructor(private readonly db: DataSource) {}

  @Get('invariants')
  @ApiOperation({ summary: 'Everything that leaked: resources held for instances in ERROR, DELETED or gone; usage that is not the sum of claims' })
  async invariants(): Promise<{ ok: boolean; checkedAt: string; violations: Violation[] }> {
    const violations = await checkInvariants(this.db);
    return { ok: violations.length === 0, checkedAt: new Date().toISOString(), violations };
  }
}
