import type { DataSource } from 'typeorm';
import type { Attempt, Fault, InstanceStatus, TaskState } from '../../contracts/instances.js';
import { Instance, InstanceAction, InstanceFault, SchedulingAttempt } from '../db/entities/index.js';

/**
 * What the workflow writes about a build as it goes: status and task state, one action row
 * per step, each scheduling attempt and the fault. Every write is keyed so a retried
 * activity leaves the same rows.
 */
export class InstanceRecords {
  constructor(private readonly db: DataSource) {}

  async setTaskState(instanceId: string, update: { status?: InstanceStatus; taskState: TaskState | null; host?: string | null }): Promise<void> {
    const set: Partial<Instance> = { taskState: update.taskState };
    if (update.status) set.status = update.status;
    if (update.host !== undefined) set.host = update.host;
    // A deleted instance stays deleted whatever a late activity says.
    await this.db.query(
      `UPDATE instances SET task_state = $2, status = COALESCE($3, status), host = CASE WHEN $4 THEN $5 ELSE host END, updated_at = now()
       WHERE id = $1 AND status <> 'DELETED'`,
      [instanceId, set.taskState, set.status ?? null, update.host !== undefined, update.host ?? null],
    );
  }

  async setHost(instanceId: string, host: string | null): Promise<void> {
    await this.db.query(`UPDATE instances SET host = $2, updated_at = now() WHERE id = $1 AND status <> 'DELETED'`, [instanceId, host]);
  }

  async recordStep(input: { instanceId: string; step: string; host: string | null; phase: 'start' | 'succeeded' | 'failed' | 'compensated'; message?: string | null }): Promise<void> {
    const repo = this.db.getRepository(InstanceAction);
    if (input.phase === 'start' || input.phase === 'compensated') {
      // Idempotent: a retried start does not add a second running row.
      const outcome = input.phase === 'start' ? 'running' : 'compensated';
      const step = input.phase === 'compensated' ? `undo:${input.step}` : input.step;
      await this.db.query(
        `INSERT INTO instance_actions (instance_id, step, host, outcome, message, started_at, finished_at)
         SELECT $1, $2, $3, $4, $5, now(), CASE WHEN $4 = 'compensated' THEN now() END
         WHERE NOT EXISTS (SELECT 1 FROM instance_actions WHERE instance_id = $1 AND step = $2 AND host IS NOT DISTINCT FROM $3 AND outcome = $4)`,
        [input.instanceId, step, input.host, outcome, input.message ?? null],
      );
      return;
    }
    const open = await repo.findOne({
      where: { instanceId: input.instanceId, step: input.step, outcome: 'running' },
      order: { startedAt: 'DESC' },
    });
    if (open) {
      await repo.update({ id: open.id }, { outcome: input.phase, message: input.message ?? null, finishedAt: new Date() });
    } else {
      await repo.insert({ instanceId: input.instanceId, step: input.step, host: input.host, outcome: input.phase, message: input.message ?? null, startedAt: new Date(), finishedAt: new Date() });
    }
  }

  async recordAttempt(instanceId: string, attemptNo: number, attempt: Attempt): Promise<void> {
    await this.db.query(
      `INSERT INTO scheduling_attempts (instance_id, attempt_no, host, outcome, reason) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (instance_id, attempt_no) DO UPDATE SET host = $3, outcome = $4, reason = $5`,
      [instanceId, attemptNo, attempt.host, attempt.outcome, attempt.reason],
    );
  }

  async recordFault(instanceId: string, fault: Fault): Promise<void> {
    await this.db.query(
      `INSERT INTO instance_faults (instance_id, code, message, step, host) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (instance_id) DO UPDATE SET code = $2, message = $3, step = $4, host = $5, created_at = now()`,
      [instanceId, fault.code, fault.message, fault.step, fault.host],
    );
    await this.db.query(
      `UPDATE instances SET status = 'ERROR', task_state = NULL, updated_at = now() WHERE id = $1 AND status <> 'DELETED'`,
      [instanceId],
    );
  }

  async markActive(instanceId: string, host: string): Promise<void> {
    await this.db.query(
      `UPDATE instances SET status = 'ACTIVE', task_state = NULL, host = $2, launched_at = COALESCE(launched_at, now()), updated_at = now()
       WHERE id = $1 AND status <> 'DELETED'`,
      [instanceId, host],
    );
  }

  async markDeleted(instanceId: string): Promise<void> {
    await this.db.query(
      `UPDATE instances SET status = 'DELETED', task_state = NULL, deleted_at = COALESCE(deleted_at, now()), updated_at = now() WHERE id = $1`,
      [instanceId],
    );
  }

  async attempts(instanceId: string): Promise<SchedulingAttempt[]> {
    return this.db.getRepository(SchedulingAttempt).find({ where: { instanceId }, order: { attemptNo: 'ASC' } });
  }

  async fault(instanceId: string): Promise<InstanceFault | null> {
    return this.db.getRepository(InstanceFault).findOneBy({ instanceId });
  }
}
