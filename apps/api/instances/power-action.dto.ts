import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { POWER_ACTIONS, type PowerAction } from '../../../contracts/power.js';

/** `POST /v1/instances/{id}/actions`: Nova's os-stop, os-start and reboot, by name. */
export class PowerActionDto {
  @ApiProperty({ enum: POWER_ACTIONS }) @IsIn(POWER_ACTIONS) action: PowerAction;
}
