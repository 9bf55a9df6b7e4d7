import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { collectDefaultMetrics, register } from 'prom-client';
import { Public } from '../common/auth.js';
import { HealthService } from './health.service.js';

collectDefaultMetrics();

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly service: HealthService) {}

  /** Ready when Postgres and Temporal both answer; 503 names what does not. */
  @Get('healthz')
  async health(@Res({ passthrough: true }) res: Response) {
    const health = await this.service.health();
    res.status(health.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return health;
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  async metrics() {
    return (await register.metrics()) + (await this.service.buildMetrics());
  }
}
