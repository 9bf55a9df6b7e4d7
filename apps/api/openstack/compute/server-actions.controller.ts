import { Body, Controller, Get, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import type { PowerAction } from '../../../../contracts/power.js';
import { InstanceAction } from '../../../../core/db/entities/index.js';
import { CurrentPrincipal, type Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { InstanceActionsService } from '../../instances/instance-actions.service.js';
import { NovaErrors } from '../common/os-errors.js';
import { novaActions } from './instance-actions-view.js';
import { NovaServers } from './nova-servers.js';

/** Nova's server actions by their body key; forceDelete is a delete. */
const POWER: Record<string, PowerAction> = { 'os-stop': 'stop', 'os-start': 'start', reboot: 'reboot' };

/** Server actions (power, forceDelete), tags and the instance action log. */
@ApiExcludeController()
@UseFilters(NovaErrors)
@Controller('compute/v2.1/servers/:id')
export class ServerActionsController {
  constructor(
    private readonly db: DataSource,
    private readonly servers: NovaServers,
    private readonly actions: InstanceActionsService,
  ) {}

  @Post('action')
  @HttpCode(202)
  async act(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: Record<string, unknown>) {
    const [name] = Object.keys(body ?? {});
    await this.servers.get(principal, id);
    if (name === 'forceDelete') return void (await this.servers.delete(principal, id));
    const action = POWER[name];
    if (!action) throw Problem.validation([{ field: 'action', message: `${String(name)} is not supported` }]);
    await this.actions.act(principal, id, action);
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
