import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IsResourceName } from '../common/resource-name.js';

/** Bounds that keep a flavor physical: a request past them is a typo, not a machine. */
export class CreateFlavorDto {
  @ApiProperty({ example: 'm1.huge' })
  @IsResourceName()
  name: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1024 })
  @IsInt()
  @Min(1)
  @Max(1024)
  vcpus: number;

  @ApiProperty({ type: 'integer', minimum: 64, maximum: 16_777_216, description: 'MB (up to 16 TiB)' })
  @IsInt()
  @Min(64)
  @Max(16_777_216)
  ramMb: number;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 1_048_576, description: 'GB of root disk (0: the image size)' })
  @IsInt()
  @Min(0)
  @Max(1_048_576)
  diskGb: number;
}
