import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsIP, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { IsResourceName } from '../common/resource-name.js';

/**
 * The shape of a new network. What depends on more than one field (the range inside the
 * CIDR, the id range of each segmentation type) is judged by core/network/network-spec.ts,
 * which answers 422 with the field at fault; what depends on other networks, 409.
 */
export class SegmentationDto {
  @ApiProperty({ enum: ['flat', 'vlan', 'vxlan'] })
  @IsIn(['flat', 'vlan', 'vxlan'])
  type: 'flat' | 'vlan' | 'vxlan';

  @ApiPropertyOptional({ description: 'VLAN id 1-4094 or VXLAN VNI 1-16777215; none for flat' })
  @IsOptional()
  @IsInt()
  id?: number;
}

export class CreateNetworkDto {
  @ApiProperty({ example: 'n1' })
  @IsResourceName()
  name: string;

  @ApiProperty({ example: '10.1.0.0/28', description: 'IPv4, /8 to /29, no host bits set' })
  @IsString()
  @MaxLength(64)
  cidr: string;

  @ApiPropertyOptional({ example: '10.1.0.1', description: 'default: the first host address' })
  @IsOptional()
  @IsIP(4)
  gateway?: string;

  @ApiPropertyOptional({
    example: '10.1.0.2',
    description: 'first address handed out; default: the first host address',
  })
  @IsOptional()
  @IsIP(4)
  allocationStart?: string;

  @ApiPropertyOptional({ example: '10.1.0.14', description: 'last address handed out; default: the last host address' })
  @IsOptional()
  @IsIP(4)
  allocationEnd?: string;

  @ApiPropertyOptional({ type: [String], example: ['192.0.2.53'], description: 'at most 5 IPv4/IPv6 resolvers' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  dnsServers?: string[];

  @ApiProperty({ type: SegmentationDto })
  @ValidateNested()
  @Type(() => SegmentationDto)
  segmentation: SegmentationDto;
}
