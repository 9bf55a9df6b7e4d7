import type { DataSource } from 'typeorm';
import type { FailureInjection, InjectionMode, InjectionStep } from '../../contracts/failure-injection.js';
import { HostFailureInjection } from '../db/entities/index.js';
import {
  applyInjection,
  exitProcess,
  validateInjection,
  type InjectionContext,
  type FailureInjector,
} from '../hypervisor/failure-injector.js';

/**
 * Failure injections armed by an admin (`PUT /v1/admin/hosts/{host}/faults`), kept in
 * Postgres so the API can set them and the host's agent obeys them. Firing is a conditional
 * decrement, so `times: 1` fires exactly once even with concurrent builds on the host.
 */
export class HostInjectionStore {
  constructor(private readonly db: DataSource) {}

  async arm(host: string, injection: FailureInjection): Promise<void> {
    const f = validateInjection(injection);
    await this.db.query(
      `INSERT INTO host_faults (host, step, mode, times) VALUES ($1, $2, $3, $4)
       ON CONFLICT (host, step) DO UPDATE SET mode = $3, times = $4, created_at = now()`,
      [host, f.step, f.mode, f.times],
    );
  }

  async clear(host: string): Promise<void> {
    await this.db.getRepository(HostFailureInjection).delete({ host });
  }

  async list(host: string): Promise<HostFailureInjection[]> {
    return this.db.getRepository(HostFailureInjection).find({ where: { host }, order: { step: 'ASC' } });
  }

  /** Takes one firing of the injection on this step, if any is armed. */
  async take(host: string, step: InjectionStep): Promise<InjectionMode | null> {
    const [rows] = await this.db.query(
      `UPDATE host_faults SET times = times - 1 WHERE host = $1 AND step = $2 AND times > 0 RETURNING mode`,
      [host, step],
    );
    return (rows as Array<{ mode: InjectionMode }>)[0]?.mode ?? null;
  }

  injectorFor(host: string, crash: () => void = exitProcess): FailureInjector {
    return {
      before: async (step: InjectionStep, ctx: InjectionContext) => {
        const mode = await this.take(host, step);
        if (mode) await applyInjection({ step, mode }, ctx, crash);
      },
    };
  }
}
