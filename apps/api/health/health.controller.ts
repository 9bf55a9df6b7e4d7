import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Client } from '@temporalio/client';
import type { Response } from 'express';
import { collectDefaultMetrics, register } from 'prom-client';
import { DataSource } from 'typeorm';
import { Public } from '../common/auth.js';
import { buildMetrics } from './build-metrics.js';

collectDefaultMetrics();

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly temporal: Client,
  ) {}

  /** Ready when Postgres and Temporal both answer; 503 names what does not. */
  @Get('healthz')
  async health(@Res({ passthrough: true }) res: Response) {
    const check = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
        return 'ok';
      } catch (err) {
        return `down: ${(err as Error).message}`;
      }
    };
    const [database, temporal] = await Promise.all([
      check(() => this.db.query('SELECT 1')),
      check(() => this.temporal.workflowService.getSystemInfo({})),
    ]);
    const ok = database === 'ok' && temporal === 'ok';
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'degraded', database, temporal };
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  async metrics() {
    return (await register.metrics()) + (await buildMetrics(this.db));
  }
}
