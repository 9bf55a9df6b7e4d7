import { Injectable } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { buildMetrics } from './build-metrics.js';

export interface Health {
  status: 'ok' | 'degraded';
  database: string;
  temporal: string;
}

async function check(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    return `down: ${(err as Error).message}`;
  }
}

/** Liveness of what the API depends on, and the build metrics read from Postgres. */
@Injectable()
export class HealthService {
  constructor(
    private readonly db: DataSource,
    private readonly temporal: Client,
  ) {}

  /** Ready when Postgres and Temporal both answer; otherwise names what does not. */
  async health(): Promise<Health> {
    const [database, temporal] = await Promise.all([
      check(() => this.db.query('SELECT 1')),
      check(() => this.temporal.workflowService.getSystemInfo({})),
    ]);
    return { status: database === 'ok' && temporal === 'ok' ? 'ok' : 'degraded', database, temporal };
  }

  buildMetrics(): Promise<string> {
    return buildMetrics(this.db);
  }
}
