import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { UUID_PATTERN } from '../common/api-problems.js';
import { IsResourceName } from '../common/resource-name.js';

/** Fails when the property is given together with `other`: the two are alternatives. */
function NotWith(other: string) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'notWith',
      target: target.constructor,
      propertyName,
      constraints: [other],
      validator: {
        validate: (_value: unknown, args: ValidationArguments) =>
          (args.object as Record<string, unknown>)[other] === undefined,
        defaultMessage: () => `give either ${other} (a new volume) or ${propertyName} (an existing volume), not both`,
      },
    });
}

/** A flavor, image or network: its name or its id. */
function NameOrId(example: string, what: string): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ example, description: `${what} name or id`, minLength: 1, maxLength: 255 })(target, key);
    Field(() => String)(target, key);
    IsString()(target, key);
    IsNotEmpty()(target, key);
    MaxLength(255)(target, key);
  };
}

const NEW_VOLUME_SIZE = {
  type: 'integer',
  example: 1,
  minimum: 1,
  maximum: 16384,
  description: 'size of a new volume, deleted with the instance',
} as const;
const EXISTING_VOLUME_ID = {
  type: 'string',
  pattern: UUID_PATTERN,
  description: 'id of an available volume of your project, kept when the instance is deleted',
} as const;

/**
 * Exactly one of: `sizeGb` (a new volume, deleted with the instance) or `id` (your existing
 * volume, kept). REST and GraphQL (as `VolumeInput`) validate it by the same rules.
 */
@InputType('VolumeInput')
export class VolumeRequestDto {
  @ApiPropertyOptional(NEW_VOLUME_SIZE)
  @Field(() => Int, { nullable: true, description: 'size of a new volume, deleted with the instance' })
  // Required unless an existing volume is named.
  @ValidateIf((o: VolumeRequestDto) => o.sizeGb !== undefined || o.id === undefined)
  @IsInt({ message: 'sizeGb must be an integer (a new volume), or give id (an existing volume)' })
  @Min(1)
  @Max(16384)
  sizeGb?: number;

  @ApiPropertyOptional(EXISTING_VOLUME_ID)
  @Field(() => ID, { nullable: true, description: 'an available volume of your project, kept with the instance gone' })
  @ValidateIf((o: VolumeRequestDto) => o.id !== undefined)
  @IsUUID('all', { message: 'id must be a volume id (UUID)' })
  @NotWith('sizeGb')
  id?: string;
}

/** The body of `POST /v1/instances`, and GraphQL's `CreateInstanceInput`. */
@InputType('CreateInstanceInput')
export class CreateInstanceDto {
  @ApiProperty({ example: 'web-1', description: 'a hostname-like name' })
  @Field()
  @IsResourceName()
  name: string;

  @NameOrId('m1.small', 'flavor')
  flavor: string;

  @NameOrId('cirros', 'image')
  image: string;

  @NameOrId('default', 'network')
  network: string;

  // `type: 'object'` keeps Nest from adding the class as an allOf: the oneOf alone says it all.
  @ApiPropertyOptional({
    description:
      'a block volume attached to the instance: a new one ({ sizeGb }) or an existing one ({ id }), not both',
    type: 'object',
    nullable: true,
    oneOf: [
      { type: 'object', required: ['sizeGb'], properties: { sizeGb: NEW_VOLUME_SIZE } },
      { type: 'object', required: ['id'], properties: { id: EXISTING_VOLUME_ID } },
    ],
  } as unknown as ApiPropertyOptions)
  @Field(() => VolumeRequestDto, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => VolumeRequestDto)
  volume?: VolumeRequestDto;
}
