import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { FAULT_MODES, FAULT_STEPS, type FaultMode, type FaultStep } from '../../../core/hypervisor/fault-injector.js';

/** A fault armed on a host's agent: this step fails this way, this many times. */
export class FaultDto {
  @ApiProperty({ enum: FAULT_STEPS }) @IsIn(FAULT_STEPS) step: FaultStep;
  @ApiProperty({ enum: FAULT_MODES }) @IsIn(FAULT_MODES) mode: FaultMode;
  @ApiProperty({ minimum: 1, maximum: 1000 }) @IsInt() @Min(1) @Max(1000) times: number;
}

/** Takes a host out of scheduling (or back in), with a reason for the operators. */
export class HostUpdateDto {
  @ApiProperty() @IsBoolean() disabled: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) reason?: string;
}
