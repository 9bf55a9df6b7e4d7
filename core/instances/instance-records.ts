import type { DataSource } from 'typeorm';
import type { Attempt, Fault, InstanceStatus, TaskState } from '../../contracts/instances.js';
import { PowerState } from '../../contracts/power.js';
import { Instance, InstanceFault, SchedulingAttempt } from '../db/entities/index.js';

/**
 * What the workflow writes about a build as it goes: status and task state, one action row
 * per step, each scheduling attempt and the fault. Every write is keyed so a retried
 * activity leaves the same rows.
 */
export class InstanceRecords {
  constructor(private readonly db: DataSource) {}

  async setTaskState(
    instanceId: string,
    update: { status?: InstanceStatus; taskState: TaskState | null; host?: string | null },
  ): Promise<void> {
    const set: Partial<Instance> = { taskState: update.taskState };
    if (update.status) set.status = update.status;
    if (update.host !== undefined) set.host = update.host;
    // A deleted instance stays deleted whatever a late activity says.
    await this.db.query(
      `UPDATE instances
       SET task_state = $2, status = COALESCE($3, status), host = CASE WHEN $4 THEN $5 ELSE host END, updated_at = now()
       WHERE id = $1 AND status <> 'DELETED'`,
      [instanceId, set.taskState, set.status ?? null, update.host !== undefined, update.host ?? null],
    );
  }

  async setHost(instanceId: string, host: string | null): Promise<void> {
    await this.db.query(`UPDATE instances SET host = $2, updated_at = now() WHERE id = $1 AND status <> 'DELETED'`, [
      instanceId,
      host,
    ]);
  }

  /**
   * Opens, closes or compensates a step's action row and, with `taskState`, moves the
   * instance's task state — in one statement, so one round trip: the saga records every
   * step twice, and these writes are most of what a build asks of Postgres.
   */
  async recordStep(input: {
    instanceId: string;
    step: string;
    host: string | null;
    phase: 'start' | 'succeeded' | 'failed' | 'compensated';
    message?: string | null;
    taskState?: TaskState | null;
    /** The step's own time (a record written after it happened); the database's now() without it. */
    at?: string;
  }): Promise<void> {
    // A deleted instance stays deleted whatever a late activity says.
    const moveTaskState = `task AS (
      UPDATE instances SET task_state = $6, updated_at = now() WHERE $7 AND id = $1 AND status <> 'DELETED')`;
    const params = [
      input.instanceId,
      input.step,
      input.host,
      input.phase,
      input.message ?? null,
      input.taskState ?? null,
      input.taskState !== undefined,
      input.at ?? null,
    ];
    if (input.phase === 'start' || input.phase === 'compensated') {
      // Idempotent: a retried start adds no second running row, nor (with its time) a second row at all.
      params[1] = input.phase === 'compensated' ? `undo:${input.step}` : input.step;
      params[3] = input.phase === 'start' ? 'running' : 'compensated';
      await this.db.query(
        `WITH ${moveTaskState}
         INSERT INTO instance_actions (instance_id, step, host, outcome, message, started_at, finished_at)
         SELECT $1, $2, $3, $4, $5, COALESCE($8::timestamptz, now()),
           CASE WHEN $4 = 'compensated' THEN COALESCE($8::timestamptz, now()) END
         WHERE NOT EXISTS (SELECT 1 FROM instance_actions
           WHERE instance_id = $1 AND step = $2 AND host IS NOT DISTINCT FROM $3
             AND (outcome = $4 OR started_at = $8::timestamptz))`,
        params,
      );
      return;
    }
    // Close the latest running row of the step; a finish without a recorded start still leaves a
    // finished row, unless (with its time) this very finish was written already: a retried batch.
    await this.db.query(
      `WITH ${moveTaskState},
       open AS (SELECT id FROM instance_actions WHERE instance_id = $1 AND step = $2 AND outcome = 'running'
         ORDER BY started_at DESC LIMIT 1),
       closed AS (UPDATE instance_actions a
         SET outcome = $4, message = $5, finished_at = COALESCE($8::timestamptz, now())
         FROM open WHERE a.id = open.id RETURNING a.id)
       INSERT INTO instance_actions (instance_id, step, host, outcome, message, started_at, finished_at)
       SELECT $1, $2, $3, $4, $5, COALESCE($8::timestamptz, now()), COALESCE($8::timestamptz, now())
       WHERE NOT EXISTS (SELECT 1 FROM closed)
         AND NOT EXISTS (SELECT 1 FROM instance_actions
           WHERE instance_id = $1 AND step = $2 AND outcome = $4 AND finished_at = $8::timestamptz)`,
      params,
    );
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
      `UPDATE instances SET status = 'ERROR', task_state = NULL, updated_at = now()
       WHERE id = $1 AND status <> 'DELETED'`,
      [instanceId],
    );
  }

  async markActive(instanceId: string, host: string): Promise<void> {
    await this.db.query(
      `UPDATE instances
       SET status = 'ACTIVE', task_state = NULL, host = $2, launched_at = COALESCE(launched_at, now()),
           power_state = ${PowerState.RUNNING}, updated_at = now()
       WHERE id = $1 AND status <> 'DELETED'`,
      [instanceId, host],
    );
  }

  /**
   * A power action's outcome: the status and power state the host reported, the task state
   * cleared. Only a built instance moves: a late write never revives a deleted or failed one.
   */
  async setPowerState(instanceId: string, status: 'ACTIVE' | 'SHUTOFF', powerState: number): Promise<void> {
    await this.db.query(
      `UPDATE instances SET status = $2, power_state = $3, task_state = NULL, updated_at = now()
       WHERE id = $1 AND status IN ('ACTIVE', 'SHUTOFF')`,
      [instanceId, status, powerState],
    );
  }

  async markDeleted(instanceId: string): Promise<void> {
    await this.db.query(
      `UPDATE instances SET status = 'DELETED', task_state = NULL, deleted_at = COALESCE(deleted_at, now()),
           updated_at = now()
       WHERE id = $1`,
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
