import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsResourceName } from '../common/resource-name.js';

const Limit = (maximum: number) => ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, maximum });

/** A project's limits; null lifts one, an absent field leaves it as it is. */
export class QuotasDto {
  @Limit(1_000_000) @IsOptional() @IsInt() @Min(0) @Max(1_000_000) instances?: number | null;
  @Limit(1_000_000) @IsOptional() @IsInt() @Min(0) @Max(1_000_000) vcpus?: number | null;
  @Limit(1_000_000_000) @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000) ramMb?: number | null;
  @Limit(1_000_000_000) @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000) volumeGb?: number | null;
}

export class CreateProjectDto {
  @ApiProperty({ example: 'team-a' })
  @IsResourceName()
  name: string;

  @ApiPropertyOptional({ type: QuotasDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuotasDto)
  quotas?: QuotasDto;
}

/** Ten years: a bound the document states, far above any configured NIMBUS_API_TOKEN_TTL. */
const MAX_TTL_SEC = 10 * 365 * 24 * 3600;

const TOKEN_LABEL = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/;

export class CreateTokenDto {
  /** A label for people, not a resource name: spaces are fine. */
  @ApiPropertyOptional({ example: 'ci', pattern: TOKEN_LABEL.source, nullable: true })
  @IsOptional()
  @IsString()
  @Matches(TOKEN_LABEL)
  name?: string;

  /** Seconds the token lives; at most NIMBUS_API_TOKEN_TTL (the default). */
  @ApiPropertyOptional({ example: 86400, type: 'integer', nullable: true, minimum: 1, maximum: MAX_TTL_SEC })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TTL_SEC)
  ttlSeconds?: number;
}
