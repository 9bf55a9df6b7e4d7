import { Inject, Injectable } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { Logger } from '../../../core/logger.js';
import { LOGGER } from '../common/core.module.js';
import { buildMetrics } from './build-metrics.js';

export type DependencyState = 'ok' | 'down';

export interface Health {
  status: 'ok' | 'degraded';
  database: DependencyState;
  temporal: DependencyState;
  /** The dependencies that did not answer, by name: what an operator looks at first. */
  down: string[];
}

/** How long /healthz waits for a dependency: a stopped one must not hang the probe. */
export const HEALTH_CHECK_TIMEOUT_MS = 1000;

class TimedOut extends Error {}

/** Whether `fn` answers within `timeoutMs`; the reason stays in the log, never in the response. */
export async function check(fn: () => Promise<unknown>, timeoutMs: number, onDown: (err: unknown) => void) {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([fn(), deadline]);
    return 'ok' as const;
  } catch (err) {
    onDown(err);
    return 'down' as const;
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness of what the API depends on, and the build metrics read from Postgres. */
@Injectable()
export class HealthService {
  constructor(
    private readonly db: DataSource,
    private readonly temporal: Client,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Ready when Postgres and Temporal both answer within a second; otherwise names what does not. */
  async health(): Promise<Health> {
    const down = (dependency: string) => (err: unknown) =>
      this.log.warn({ dependency, err: (err as Error)?.message }, 'health check: dependency down');
    const [database, temporal] = await Promise.all([
      check(() => this.db.query('SELECT 1'), HEALTH_CHECK_TIMEOUT_MS, down('database')),
      check(() => this.temporal.workflowService.getSystemInfo({}), HEALTH_CHECK_TIMEOUT_MS, down('temporal')),
    ]);
    const names = Object.entries({ database, temporal })
      .filter(([, state]) => state === 'down')
      .map(([name]) => name);
    return { status: names.length === 0 ? 'ok' : 'degraded', database, temporal, down: names };
  }

  buildMetrics(): Promise<string> {
    return buildMetrics(this.db);
  }
}
