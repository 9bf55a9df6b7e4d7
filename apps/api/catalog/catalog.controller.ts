import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsIP, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { DataSource } from 'typeorm';
import { Flavor, Network } from '../../../core/db/entities/index.js';
import { isUniqueViolation } from '../../../core/errors.js';
import { planSubnet } from '../../../core/network/subnet.js';
import { AdminOnly } from '../common/auth.js';
import { Problem } from '../common/problem.js';

class SegmentationDto {
  @ApiProperty({ enum: ['flat', 'vlan', 'vxlan'] }) @IsIn(['flat', 'vlan', 'vxlan']) type: 'flat' | 'vlan' | 'vxlan';
  @ApiPropertyOptional({ description: 'VLAN id 1-4094 or VXLAN VNI 1-16777215; none for flat' })
  @IsOptional() @IsInt() @Min(1) @Max(16777215) id?: number;
}

export class CreateNetworkDto {
  @ApiProperty({ example: 'n1' }) @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/) name: string;
  @ApiProperty({ example: '10.1.0.0/28' }) @IsString() cidr: string;
  @ApiPropertyOptional({ example: '10.1.0.1' }) @IsOptional() @IsIP(4) gateway?: string;
  @ApiPropertyOptional() @IsOptional() @IsIP(4) allocationStart?: string;
  @ApiPropertyOptional() @IsOptional() @IsIP(4) allocationEnd?: string;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @IsIP(undefined, { each: true }) dnsServers?: string[];
  @ApiProperty({ type: SegmentationDto }) @ValidateNested() @Type(() => SegmentationDto) segmentation: SegmentationDto;
}

export function networkView(n: Network) {
  return {
    id: n.id, name: n.name, cidr: n.cidr, gateway: n.gateway, allocationStart: n.allocationStart, allocationEnd: n.allocationEnd,
    dnsServers: n.dnsServers, segmentation: { type: n.segmentationType, id: n.segmentationId }, createdAt: n.createdAt,
  };
}

@ApiTags('catalog')
@ApiBearerAuth()
@Controller('v1')
export class CatalogController {
  constructor(private readonly db: DataSource) {}

  @Get('flavors')
  flavors() {
    return this.db.getRepository(Flavor).find({ order: { vcpus: 'ASC', ramMb: 'ASC' } });
  }

  @Get('networks')
  async networks() {
    return (await this.db.getRepository(Network).find({ order: { name: 'ASC' } })).map(networkView);
  }

  @Get('networks/:id')
  async network(@Param('id') id: string) {
    const n = await this.db.getRepository(Network).findOne({ where: /^[0-9a-f-]{36}$/i.test(id) ? { id } : { name: id } });
    if (!n) throw Problem.notFound('network', id);
    return networkView(n);
  }

  @Post('networks')
  @AdminOnly()
  async createNetwork(@Body() body: CreateNetworkDto) {
    const seg = body.segmentation;
    if (seg.type === 'flat' && seg.id !== undefined) throw Problem.validation([{ field: 'segmentation.id', message: 'a flat network has no segmentation id' }]);
    if (seg.type === 'vlan' && (seg.id === undefined || seg.id > 4094)) throw Problem.validation([{ field: 'segmentation.id', message: 'a VLAN id is 1-4094' }]);
    if (seg.type === 'vxlan' && seg.id === undefined) throw Problem.validation([{ field: 'segmentation.id', message: 'a VXLAN network needs a VNI (1-16777215)' }]);
    const plan = planSubnet(body);
    const [overlap] = await this.db.query(`SELECT name FROM networks WHERE cidr && $1::cidr LIMIT 1`, [plan.cidr]);
    if (overlap) throw Problem.conflict(`${plan.cidr} overlaps network ${overlap.name}`);
    if (seg.type !== 'flat') {
      const [same] = await this.db.query(`SELECT name FROM networks WHERE segmentation_type = $1 AND segmentation_id = $2`, [seg.type, seg.id]);
      if (same) throw Problem.conflict(`${seg.type} ${seg.id} is already used by network ${same.name}`);
    }
    const repo = this.db.getRepository(Network);
    try {
      const n = repo.create({
        name: body.name, cidr: plan.cidr, gateway: plan.gateway, allocationStart: plan.allocationStart, allocationEnd: plan.allocationEnd,
        dnsServers: body.dnsServers ?? [], segmentationType: seg.type, segmentationId: seg.id ?? null,
      });
      await repo.insert(n);
      return networkView((await repo.findOneBy({ id: n.id }))!);
    } catch (err) {
      if (isUniqueViolation(err)) throw Problem.conflict(`a network named ${body.name} exists`);
      throw err;
    }
  }

  @Get('ports')
  @AdminOnly()
  ports(@Query('instance') instance?: string, @Query('network') network?: string) {
    return this.db.query(
      `SELECT p.id, p.network_id AS "networkId", p.instance_id AS "instanceId", p.host, p.mac_address::text AS mac,
              host(a.address) AS ip, p.status, p.device_name AS "deviceName", p.created_at AS "createdAt"
       FROM ports p LEFT JOIN ip_allocations a ON a.port_id = p.id
       WHERE ($1::text IS NULL OR p.instance_id::text = $1) AND ($2::text IS NULL OR p.network_id::text = $2)
       ORDER BY p.created_at`,
      [instance ?? null, network ?? null],
    );
  }

  @Get('volumes')
  @AdminOnly()
  volumes(@Query('instance') instance?: string) {
    return this.db.query(
      `SELECT v.id, v.name, v.project_id AS "projectId", v.size_gb AS "sizeGb", v.status, v.pool,
              v.delete_on_termination AS "deleteOnTermination", a.instance_id AS "instanceId", a.device,
              v.target_iqn AS "targetIqn", v.target_portal AS "targetPortal", v.target_lun AS "targetLun", v.created_at AS "createdAt"
       FROM volumes v LEFT JOIN volume_attachments a ON a.volume_id = v.id
       WHERE v.status <> 'deleted' AND ($1::text IS NULL OR a.instance_id::text = $1)
       ORDER BY v.created_at`,
      [instance ?? null],
    );
  }
}
