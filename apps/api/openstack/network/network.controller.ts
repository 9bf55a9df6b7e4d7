import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminOnly, CurrentPrincipal, Public, type Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { baseUrl } from '../common/endpoints.js';
import { NeutronErrors } from '../common/os-errors.js';
import { NeutronNetworks, type SubnetCreate } from './neutron-networks.js';
import { many, neutronNetwork, neutronPort, neutronSubnet, project } from './neutron-views.js';

type QueryParams = Record<string, unknown>;

/** Neutron's list filters: each named field must equal one of the given values. */
function matches(item: Record<string, unknown>, query: QueryParams, keys: string[]): boolean {
  return keys.every((k) => {
    const wanted = many(query[k]);
    return wanted.length === 0 || wanted.includes(String(item[k]));
  });
}

/** Neutron v2.0 at /network: networks, their one subnet each, and ports. */
@ApiExcludeController()
@UseFilters(NeutronErrors)
@Controller('network')
export class NetworkController {
  constructor(private readonly neutron: NeutronNetworks) {}

  @Public()
  @Get()
  versions(@Req() req: Request) {
    const href = `${baseUrl(req)}/network/v2.0/`;
    return { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href }] }] };
  }

  @Get('v2.0/networks')
  async networks(@Query() query: QueryParams) {
    const all = (await this.neutron.list()).map(([n, p]) => neutronNetwork(n, p));
    const found = all.filter((n) => matches(n, query, ['id', 'name', 'status', 'shared']));
    return { networks: found.map((n) => project(n, many(query.fields))) };
  }

  @Get('v2.0/networks/:id')
  async network(@Param('id') id: string, @Query() query: QueryParams) {
    return { network: project(neutronNetwork(...(await this.neutron.get(id))), many(query.fields)) };
  }

  @AdminOnly()
  @Post('v2.0/networks')
  @HttpCode(201)
  async createNetwork(@CurrentPrincipal() principal: Principal, @Body() body: { network?: { name?: string } }) {
    const name = body.network?.name;
    if (!name) throw Problem.validation([{ field: 'network.name', message: 'required' }]);
    return { network: neutronNetwork(...(await this.neutron.create(principal, name))) };
  }

  @AdminOnly()
  @Delete('v2.0/networks/:id')
  @HttpCode(204)
  async deleteNetwork(@Param('id') id: string) {
    await this.neutron.delete(id);
  }

  @Get('v2.0/subnets')
  async subnets(@Query() query: QueryParams) {
    const all = (await this.neutron.list()).flatMap(([n, p]) => (n ? [neutronSubnet(n, p)] : []));
    const found = all.filter((s) => matches(s, query, ['id', 'name', 'network_id', 'cidr']));
    return { subnets: found.map((s) => project(s, many(query.fields))) };
  }

  @Get('v2.0/subnets/:id')
  async subnet(@Param('id') id: string, @Query() query: QueryParams) {
    const [n, p] = await this.neutron.get(id);
    if (!n) throw Problem.notFound('subnet', id);
    return { subnet: project(neutronSubnet(n, p), many(query.fields)) };
  }

  @AdminOnly()
  @Post('v2.0/subnets')
  @HttpCode(201)
  async createSubnet(@Body() body: { subnet?: SubnetCreate }) {
    return { subnet: neutronSubnet(...(await this.neutron.createSubnet(body.subnet ?? {}))) };
  }

  @Get('v2.0/ports')
  async ports(@CurrentPrincipal() principal: Principal, @Query() query: QueryParams) {
    const rows = await this.neutron.native.ports({});
    const visible = rows.filter((p) => principal.isAdmin || p.projectId === principal.projectId);
    const found = visible
      .map(neutronPort)
      .filter((p) => matches(p, query, ['id', 'network_id', 'device_id', 'mac_address']));
    return { ports: found.map((p) => project(p, many(query.fields))) };
  }

  @Get('v2.0/ports/:id')
  async port(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: QueryParams) {
    const row = (await this.neutron.native.ports({})).find((p) => p.id === id);
    if (!row || (!principal.isAdmin && row.projectId !== principal.projectId)) throw Problem.notFound('port', id);
    return { port: project(neutronPort(row), many(query.fields)) };
  }

  /** Nimbus has no security groups; the clients ask for them when they show a server or a port. */
  @Get('v2.0/security-groups')
  securityGroups() {
    return { security_groups: [] };
  }

  @Get('v2.0/extensions')
  extensions() {
    return { extensions: [] };
  }

  @Get('v2.0/floatingips')
  floatingIps() {
    return { floatingips: [] };
  }
}
