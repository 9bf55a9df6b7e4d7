import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsResourceName } from '../common/resource-name.js';

/** A standalone volume: it outlives any instance it is attached to. */
export class CreateVolumeDto {
  @ApiPropertyOptional({ example: 'data-1', nullable: true })
  @IsOptional()
  @IsResourceName()
  name?: string;

  @ApiProperty({ type: 'integer', example: 10, minimum: 1, maximum: 16384 })
  @IsInt()
  @Min(1)
  @Max(16384)
  sizeGb: number;
}
