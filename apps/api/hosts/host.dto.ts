import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import {
  INJECTION_MODES,
  INJECTION_STEPS,
  type InjectionMode,
  type InjectionStep,
} from '../../../core/hypervisor/failure-injector.js';

/** A fault armed on a host's agent: this step fails this way, this many times. */
export class FaultDto {
  @ApiProperty({ enum: INJECTION_STEPS }) @IsIn(INJECTION_STEPS) step: InjectionStep;
  @ApiProperty({ enum: INJECTION_MODES }) @IsIn(INJECTION_MODES) mode: InjectionMode;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1000 }) @IsInt() @Min(1) @Max(1000) times: number;
}

/** Takes a host out of scheduling (or back in), with a reason for the operators. */
export class HostUpdateDto {
  @ApiProperty() @IsBoolean() disabled: boolean;
  @ApiPropertyOptional({ maxLength: 255, nullable: true }) @IsOptional() @IsString() @MaxLength(255) reason?: string;
}
