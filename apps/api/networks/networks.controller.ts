import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { NetworkService } from '../../../core/network/network-service.js';
import { listPorts } from '../../../core/network/port-listing.js';
import { AdminOnly } from '../common/auth.js';
import { Problem } from '../common/problem.js';
import { CreateNetworkDto } from './create-network.dto.js';
import { networkView } from './network-view.js';
import { isUuid } from '../../../core/ids.js';


/**
 * Networks (every project reads them, the admin creates and deletes them) and the ports
 * IPAM handed out on them (admin). Domain rules live in core/network; this is the edge.
 */
@ApiTags('networks')
@ApiBearerAuth()
@Controller('v1')
export class NetworksController {
  private readonly networks: NetworkService;

  constructor(private readonly db: DataSource) {
    this.networks = new NetworkService(db);
  }

  @Get('networks')
  async list() {
    return (await this.networks.list()).map(networkView);
  }

  @Get('networks/:id')
  async get(@Param('id') ref: string) {
    return networkView(await this.networks.get(ref));
  }

  @Post('networks')
  @AdminOnly()
  async create(@Body() body: CreateNetworkDto, @Res({ passthrough: true }) res: Response) {
    const network = await this.networks.create(body);
    res.setHeader('Location', `/v1/networks/${network.id}`);
    return networkView(network);
  }

  /** Refused (409 NetworkInUse) while a port or a build in progress uses the network. */
  @Delete('networks/:id')
  @AdminOnly()
  @HttpCode(204)
  async delete(@Param('id') ref: string): Promise<void> {
    await this.networks.delete(ref);
  }

  @Get('ports')
  @AdminOnly()
  @ApiQuery({ name: 'instance', required: false, description: 'instance id' })
  @ApiQuery({ name: 'network', required: false, description: 'network name or id' })
  async ports(@Query('instance') instance?: string, @Query('network') network?: string) {
    if (instance !== undefined && !isUuid(instance)) throw Problem.validation([{ field: 'instance', message: 'must be an instance id (UUID)' }]);
    const networkId = network === undefined ? undefined : (await this.networks.get(network)).id;
    return listPorts(this.db, { instanceId: instance, networkId });
  }
}
