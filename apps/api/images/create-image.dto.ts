import { ApiProperty } from '@nestjs/swagger';
import { IsResourceName } from '../common/resource-name.js';

/** A new image's record; its bytes follow with `PUT /v1/images/ID/file`. */
export class CreateImageDto {
  @ApiProperty({ example: 'my-image' })
  @IsResourceName(128)
  name: string;
}
