import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

export class VolumeRequestDto {
  @ApiProperty({ example: 1, minimum: 1, maximum: 16384 })
  @IsInt()
  @Min(1)
  @Max(16384)
  sizeGb: number;
}

export class CreateInstanceDto {
  @ApiProperty({ example: 'web-1', description: 'a hostname-like name' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: 'name must be 1-63 letters, digits, dots, dashes or underscores' })
  name: string;

  @ApiProperty({ example: 'm1.small', description: 'flavor name or id' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  flavor: string;

  @ApiProperty({ example: 'cirros', description: 'image name or id' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  image: string;

  @ApiProperty({ example: 'default', description: 'network name or id' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  network: string;

  @ApiPropertyOptional({ type: VolumeRequestDto, description: 'a block volume created and attached with the instance' })
  @IsOptional()
  @ValidateNested()
  @Type(() => VolumeRequestDto)
  volume?: VolumeRequestDto;
}
