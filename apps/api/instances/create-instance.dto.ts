import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested, registerDecorator, type ValidationArguments,
} from 'class-validator';

/** Fails when the property is given together with `other`: the two are alternatives. */
function NotWith(other: string) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'notWith',
      target: target.constructor,
      propertyName,
      constraints: [other],
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => (args.object as Record<string, unknown>)[other] === undefined,
        defaultMessage: () => `give either ${other} (a new volume) or ${propertyName} (an existing volume), not both`,
      },
    });
}

/** Exactly one of: `sizeGb` (a new volume, deleted with the instance) or `id` (your existing volume, kept). */
export class VolumeRequestDto {
  @ApiPropertyOptional({ example: 1, minimum: 1, maximum: 16384, description: 'size of a new volume, deleted with the instance' })
  // Required unless an existing volume is named.
  @ValidateIf((o: VolumeRequestDto) => o.sizeGb !== undefined || o.id === undefined)
  @IsInt({ message: 'sizeGb must be an integer (a new volume), or give id (an existing volume)' })
  @Min(1)
  @Max(16384)
  sizeGb?: number;

  @ApiPropertyOptional({ description: 'id of an available volume of your project, kept when the instance is deleted' })
  @ValidateIf((o: VolumeRequestDto) => o.id !== undefined)
  @IsUUID('all', { message: 'id must be a volume id (UUID)' })
  @NotWith('sizeGb')
  id?: string;
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

  @ApiPropertyOptional({ type: VolumeRequestDto, description: 'a block volume attached to the instance: a new one ({ sizeGb }) or an existing one ({ id })' })
  @IsOptional()
  @ValidateNested()
  @Type(() => VolumeRequestDto)
  volume?: VolumeRequestDto;
}
