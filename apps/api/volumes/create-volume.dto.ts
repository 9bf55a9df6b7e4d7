import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** A standalone volume: it outlives any instance it is attached to. */
export class CreateVolumeDto {
  @ApiPropertyOptional({ example: 'data-1' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: 'name must be 1-63 letters, digits, dots, dashes or underscores' })
  name?: string;

  @ApiProperty({ example: 10, minimum: 1, maximum: 16384 })
  @IsInt()
  @Min(1)
  @Max(16384)
  sizeGb: number;
}
