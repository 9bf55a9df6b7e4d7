import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsResourceName } from '../common/resource-name.js';

/** A new image's record; its bytes follow with `PUT /v1/images/ID/file`. */
export class CreateImageDto {
  @ApiProperty({ example: 'my-image' })
  @IsResourceName(128)
  name: string;

  /** Who else sees it: private (default), shared (with the projects its members name), public (admin only). */
  @ApiPropertyOptional({ enum: ['private', 'shared', 'public'], default: 'private', nullable: true })
  @IsOptional()
  @IsIn(['private', 'shared', 'public'])
  visibility?: 'private' | 'shared' | 'public';
}

/** `PATCH /v1/images/ID` (owner or admin): a new name, a new visibility, or both. */
export class UpdateImageDto extends PartialType(CreateImageDto) {}
