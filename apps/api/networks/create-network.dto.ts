import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsIP, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { MAX_DNS_SERVERS, SEGMENTATION_ID_RANGE } from '../../../core/network/network-spec.js';
import { IsResourceName } from '../common/resource-name.js';

/** Four-part decimal without leading zeros: what IsIP(4) and ipaddr.js's isValidFourPartDecimal accept. */
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `${OCTET}(\\.${OCTET}){3}`;
const IPV4_ADDRESS = { type: 'string', pattern: `^${IPV4}$` } as const;
/** IsOptional lets null through as "not given". */
const OPTIONAL_IPV4 = { ...IPV4_ADDRESS, nullable: true } as const;

/** The shapes of `segmentation`, one per type (core/network/network-spec.ts judges them again, 422). */
const SEGMENTATIONS = [
  {
    type: 'object',
    required: ['type'],
    properties: { type: { type: 'string', enum: ['flat'] }, id: { type: 'integer', nullable: true, enum: [null] } },
  },
  ...(['vlan', 'vxlan'] as const).map((type) => ({
    type: 'object',
    required: ['type', 'id'],
    properties: {
      type: { type: 'string', enum: [type] },
      id: {
        type: 'integer',
        ...{ minimum: SEGMENTATION_ID_RANGE[type].min, maximum: SEGMENTATION_ID_RANGE[type].max },
      },
    },
  })),
];

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

  @ApiProperty({
    example: '10.1.0.0/28',
    description: 'IPv4, /8 to /29, no host bits set (422 otherwise)',
    pattern: `^${IPV4}/([89]|1[0-9]|2[0-9])$`,
  })
  @IsString()
  @MaxLength(64)
  cidr: string;

  @ApiPropertyOptional({ ...OPTIONAL_IPV4, example: '10.1.0.1', description: 'default: the first host address' })
  @IsOptional()
  @IsIP(4)
  gateway?: string;

  @ApiPropertyOptional({
    ...OPTIONAL_IPV4,
    example: '10.1.0.2',
    description: 'first address handed out; default: the first host address',
  })
  @IsOptional()
  @IsIP(4)
  allocationStart?: string;

  @ApiPropertyOptional({
    ...OPTIONAL_IPV4,
    example: '10.1.0.14',
    description: 'last address handed out; default: the last host address',
  })
  @IsOptional()
  @IsIP(4)
  allocationEnd?: string;

  @ApiPropertyOptional({
    type: 'array',
    nullable: true,
    items: { anyOf: [IPV4_ADDRESS, { type: 'string', format: 'ipv6' }] },
    maxItems: MAX_DNS_SERVERS,
    uniqueItems: true,
    example: ['192.0.2.53'],
    description: `at most ${MAX_DNS_SERVERS} IPv4/IPv6 resolvers`,
  } as unknown as ApiPropertyOptions)
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  dnsServers?: string[];

  @ApiProperty({ type: 'object', oneOf: SEGMENTATIONS } as unknown as ApiPropertyOptions)
  @IsObject()
  @ValidateNested()
  @Type(() => SegmentationDto)
  segmentation: SegmentationDto;
}
