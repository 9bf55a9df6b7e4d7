import { Controller, Get, Header, Headers, HttpStatus, Inject, Res } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { collectDefaultMetrics, register } from 'prom-client';
import type { NimbusConfig } from '../../../core/config.js';
import { Public } from '../common/auth.js';
import { CONFIG } from '../common/core.module.js';
import { Problem, ProblemTypes } from '../common/problem.js';
import { HealthService } from './health.service.js';
import { ApiProblems } from '../common/api-problems.js';

collectDefaultMetrics();

/** No token configured: open (a scraper on a private network). Else the header must carry exactly that token. */
export function bearerMatches(token: string | undefined, authorization: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly service: HealthService,
    @Inject(CONFIG) private readonly config: NimbusConfig,
  ) {}

  /** Ready when Postgres and Temporal both answer; 503 names what does not. */
  @Get('healthz')
  @ApiResponse({ status: 503, description: 'a dependency is down: the body names it' })
  async health(@Res({ passthrough: true }) res: Response) {
    const health = await this.service.health();
    res.status(health.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return health;
  }

  /** Prometheus text; with NIMBUS_METRICS_TOKEN set, only for `Authorization: Bearer <that token>`. */
  @Get('metrics')
  @ApiProduces(register.contentType)
  @ApiProblems(401)
  @Header('Content-Type', register.contentType)
  async metrics(@Headers('authorization') authorization: string | undefined) {
    if (!bearerMatches(this.config.metricsToken, authorization)) {
      throw new Problem(
        HttpStatus.UNAUTHORIZED,
        ProblemTypes.unauthorized,
        'Unauthorized',
        'the metrics token is required',
      );
    }
    return (await register.metrics()) + (await this.service.buildMetrics());
  }
}
