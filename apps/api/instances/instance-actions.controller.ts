import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { uuidParam } from '../common/params.js';
import { Problem } from '../common/problem.js';
import { InstanceActionsService, MAX_CONSOLE_LINES } from './instance-actions.service.js';
import { PowerActionDto } from './power-action.dto.js';
import { ApiProblems, ApiUuidParam } from '../common/api-problems.js';

const DEFAULT_CONSOLE_LINES = 50;

@ApiTags('instances')
@ApiBearerAuth()
@ApiUuidParam()
@ApiProblems(404)
@Controller('v1/instances/:id')
export class InstanceActionsController {
  constructor(private readonly actions: InstanceActionsService) {}

  /** Stop, start or reboot: 202 with the instance in its task state; the workflow finishes it. */
  @Post('actions')
  @HttpCode(202)
  @ApiProblems(409, 503)
  act(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string, @Body() body: PowerActionDto) {
    return this.actions.act(principal, id, body.action);
  }

  /** The action log (Nova's os-instance-actions): one row per saga step and per undo, with host and timing. */
  @Get('actions')
  actionLog(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string) {
    return this.actions.actionLog(principal, id);
  }

  @Get('console')
  @ApiProblems(409, 503)
  @ApiQuery({
    name: 'lines',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_CONSOLE_LINES, default: DEFAULT_CONSOLE_LINES },
  })
  console(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam) id: string, @Query('lines') raw?: string) {
    const lines = raw === undefined ? DEFAULT_CONSOLE_LINES : Number(raw);
    if (!/^\d+$/.test(raw ?? '50') || lines < 1 || lines > MAX_CONSOLE_LINES) {
      throw Problem.validation([{ field: 'lines', message: `must be a whole number from 1 to ${MAX_CONSOLE_LINES}` }]);
    }
    return this.actions.console(principal, id, lines);
  }
}
