import { Body, Controller, Get, Param, Post, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import type { PowerAction } from '../../../../contracts/power.js';
import { InstanceAction } from '../../../../core/db/entities/index.js';
import { CurrentPrincipal, type Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { InstanceActionsService, MAX_CONSOLE_LINES } from '../../instances/instance-actions.service.js';
import { NovaErrors } from '../common/os-errors.js';
import { novaActions } from './instance-actions-view.js';
import { NovaServers } from './nova-servers.js';

/** Nova's server actions by their body key; forceDelete is a delete. */
const POWER: Record<string, PowerAction> = { 'os-stop': 'stop', 'os-start': 'start', reboot: 'reboot' };

/** Nova's `os-getConsoleOutput` length: null, absent or larger for the most we read, else a whole number. */
function consoleLength(args: unknown): number {
  const length = (args as { length?: unknown } | null)?.length;
  if (length === undefined || length === null) return MAX_CONSOLE_LINES;
  const n = typeof length === 'string' && /^-?\d+$/.test(length) ? Number(length) : length;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw Problem.validation([{ field: 'length', message: 'must be a whole number of lines, or null' }]);
  }
  return Math.min(Math.max(n, 1), MAX_CONSOLE_LINES);
}

/** Server actions (power, forceDelete, console output), tags and the instance action log. */
@ApiExcludeController()
@UseFilters(NovaErrors)
@Controller('compute/v2.1/servers/:id')
export class ServerActionsController {
  constructor(
    private readonly db: DataSource,
    private readonly servers: NovaServers,
    private readonly actions: InstanceActionsService,
  ) {}

  /** Actions answer 202 with no body; os-getConsoleOutput answers 200 with `{output}`, as Nova does. */
  @Post('action')
  async act(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const [name] = Object.keys(body ?? {});
    await this.servers.get(principal, id);
    if (name === 'os-getConsoleOutput') {
      res.status(200).json(await this.actions.console(principal, id, consoleLength(body[name])));
      return;
    }
    if (name === 'forceDelete') {
      await this.servers.delete(principal, id);
    } else {
      const action = POWER[name];
      if (!action) throw Problem.validation([{ field: 'action', message: `${String(name)} is not supported` }]);
      await this.actions.act(principal, id, action);
    }
    res.status(202).send();
  }

  @Get('tags')
  async tags(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    await this.servers.get(principal, id);
    return { tags: [] };
  }

  @Get('os-instance-actions')
  async list(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const actions = await this.load(principal, id);
    return { instanceActions: actions.map(({ events: _events, ...a }) => a) };
  }

  @Get('os-instance-actions/:requestId')
  async show(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('requestId') requestId: string) {
    const found = (await this.load(principal, id)).find((a) => a.request_id === requestId);
    if (!found) throw Problem.notFound('instance action', requestId);
    return { instanceAction: found };
  }

  private async load(principal: Principal, id: string) {
    const view = await this.servers.get(principal, id);
    const rows = await this.db.getRepository(InstanceAction).find({
      where: { instanceId: id },
      order: { startedAt: 'ASC' },
    });
    const extra = (await this.servers.extras([id])).get(id);
    return novaActions(view, rows, extra?.userId ?? view.projectId);
  }
}
