import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AdminOnly } from '../common/auth.js';
import { uuidQuery } from '../common/params.js';
import { CreateNetworkDto } from './create-network.dto.js';
import { NetworksService } from './networks.service.js';
import { ApiProblems, ApiUuidQuery } from '../common/api-problems.js';

/**
 * Networks (every project reads them, the admin creates and deletes them) and the ports
 * IPAM handed out on them (admin). Domain rules live in core/network; this is the edge.
 */
@ApiTags('networks')
@ApiBearerAuth()
@Controller('v1')
export class NetworksController {
  constructor(private readonly networks: NetworksService) {}

  @Get('networks')
  list() {
    return this.networks.list();
  }

  @Get('networks/:id')
  @ApiProblems(404)
  get(@Param('id') ref: string) {
    return this.networks.get(ref);
  }

  @Post('networks')
  @AdminOnly()
  @ApiProblems(409, 422)
  async create(@Body() body: CreateNetworkDto, @Res({ passthrough: true }) res: Response) {
    const network = await this.networks.create(body);
    res.setHeader('Location', `/v1/networks/${network.id}`);
    return network;
  }

  /** Refused (409 NetworkInUse) while a port or a build in progress uses the network. */
  @Delete('networks/:id')
  @AdminOnly()
  @ApiProblems(404, 409)
  @HttpCode(204)
  async delete(@Param('id') ref: string): Promise<void> {
    await this.networks.delete(ref);
  }

  @Get('ports')
  @AdminOnly()
  @ApiUuidQuery('instance', 'instance id')
  @ApiProblems(404)
  @ApiQuery({ name: 'network', required: false, description: 'network name or id' })
  ports(@Query('instance') instance?: string, @Query('network') network?: string) {
    const instanceId = uuidQuery('instance', instance, 'must be an instance id (UUID)');
    return this.networks.ports({ instanceId, network });
  }
}
