import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import type { NimbusConfig } from '../../../core/config.js';
import { HostFaultStore } from '../../../core/faults/host-fault-store.js';
import { FAULT_MODES, FAULT_STEPS, type FaultMode, type FaultStep } from '../../../core/hypervisor/fault-injector.js';
import { HOST_STATUSES, HostRegistry } from '../../../core/scheduling/host-registry.js';
import { AdminOnly } from '../common/auth.js';
import { CONFIG } from '../common/infra.module.js';
import { Problem } from '../common/problem.js';

export class FaultDto {
  @ApiProperty({ enum: FAULT_STEPS }) @IsIn(FAULT_STEPS) step: FaultStep;
  @ApiProperty({ enum: FAULT_MODES }) @IsIn(FAULT_MODES) mode: FaultMode;
  @ApiProperty({ minimum: 1, maximum: 1000 }) @IsInt() @Min(1) @Max(1000) times: number;
}

export class HostUpdateDto {
  @ApiProperty() @IsBoolean() disabled: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) reason?: string;
}

/** Admin views of the compute hosts, and the fault injection of DESIGN.md. */
@ApiTags('hosts')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1')
export class HostsController {
  private readonly registry: HostRegistry;
  private readonly faults: HostFaultStore;

  constructor(db: DataSource, @Inject(CONFIG) config: NimbusConfig) {
    this.registry = new HostRegistry(db, config.serviceDownTimeSec);
    this.faults = new HostFaultStore(db);
  }

  /** Capacity, usage, free room (capacity × ratio − used) and liveness; `?status=down` finds the dead ones. */
  @Get('hosts')
  @ApiQuery({ name: 'status', required: false, enum: HOST_STATUSES })
  async hosts(@Query('status') status?: string) {
    if (status !== undefined && !(HOST_STATUSES as readonly string[]).includes(status)) {
      throw Problem.validation([{ field: 'status', message: `must be one of ${HOST_STATUSES.join(', ')}` }]);
    }
    const all = await this.registry.list();
    return status ? all.filter((h) => h.status === status) : all;
  }

  @Get('hosts/:name')
  async host(@Param('name') name: string) {
    const host = await this.registry.get(name);
    if (!host) throw Problem.notFound('host', name);
    return host;
  }

  @Put('hosts/:name')
  async update(@Param('name') name: string, @Body() body: HostUpdateDto) {
    if (!(await this.registry.setDisabled(name, body.disabled, body.reason ?? null))) throw Problem.notFound('host', name);
    return this.registry.get(name);
  }

  @Get('admin/hosts/:name/faults')
  async listFaults(@Param('name') name: string) {
    return this.faults.list(name);
  }

  @Put('admin/hosts/:name/faults')
  async arm(@Param('name') name: string, @Body() body: FaultDto) {
    if (!(await this.registry.get(name))) throw Problem.notFound('host', name);
    await this.faults.arm(name, body);
    return this.faults.list(name);
  }

  @Delete('admin/hosts/:name/faults')
  @HttpCode(204)
  async clear(@Param('name') name: string) {
    await this.faults.clear(name);
  }
}
