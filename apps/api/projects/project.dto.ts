import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsResourceName } from '../common/resource-name.js';

/** A project's limits; null lifts one, an absent field leaves it as it is. */
export class QuotasDto {
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000) instances?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000) vcpus?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000) ramMb?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000) volumeGb?: number | null;
}

export class CreateProjectDto {
  @ApiProperty({ example: 'team-a' })
  @IsResourceName()
  name: string;

  @ApiPropertyOptional({ type: QuotasDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuotasDto)
  quotas?: QuotasDto;
}

export class CreateTokenDto {
  /** A label for people, not a resource name: spaces are fine. */
  @ApiPropertyOptional({ example: 'ci' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/)
  name?: string;

  /** Seconds the token lives; at most NIMBUS_API_TOKEN_TTL (the default). */
  @ApiPropertyOptional({ example: 86400, minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10 * 365 * 24 * 3600)
  ttlSeconds?: number;
}
