import { Inject, Injectable } from '@nestjs/common';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { DriverCodes } from '../../../contracts/errors.js';
import type { ActionLogEntry } from '../../../contracts/instances.js';
import { STATUS_BEFORE_ACTION, TASK_STATE_OF_ACTION, type PowerAction } from '../../../contracts/power.js';
import { InstanceViews, type InstanceView } from '../../../core/instances/instance-view.js';
import type { Logger } from '../../../core/logger.js';
import type { Principal } from '../common/auth.js';
import { LOGGER } from '../common/core.module.js';
import { Problem } from '../common/problem.js';
import { failureText } from '../common/workflow-failure.js';
import { PowerWorkflows } from './power-workflows.js';

/** The most console lines one read returns (the API's `lines`, Nova's os-getConsoleOutput `length`). */
export const MAX_CONSOLE_LINES = 1000;

/** Power actions (stop, start, reboot), the action log and the console of a built instance. */
@Injectable()
export class InstanceActionsService {
  constructor(
    private readonly db: DataSource,
    private readonly views: InstanceViews,
    private readonly workflows: PowerWorkflows,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /**
   * Checks the transition and claims the instance for the action in one conditional update
   * (status as the action needs, no task in flight), so two requests cannot both pass; then
   * starts the workflow. The instance shows the action's task state until it is done.
   */
  async act(principal: Principal, id: string, action: PowerAction): Promise<InstanceView> {
    const view = await this.visible(principal, id);
    const from = STATUS_BEFORE_ACTION[action];
    const [claimed]: [unknown[], number] = await this.db.query(
      `UPDATE instances SET task_state = $2, updated_at = now()
       WHERE id = $1 AND status = $3 AND task_state IS NULL AND host IS NOT NULL RETURNING id`,
      [id, TASK_STATE_OF_ACTION[action], from],
    );
    if (claimed.length === 0) {
      const busy = view.taskState ? ` (task ${view.taskState} in progress)` : '';
      throw Problem.conflict(`cannot ${action} instance ${id}: it is ${view.status}${busy}; ${action} needs ${from}`);
    }
    const placed = { ...view, host: view.host! };
    try {
      await this.workflows.startPowerAction(placed, action);
    } catch (err) {
      await this.db.query(`UPDATE instances SET task_state = NULL WHERE id = $1 AND task_state = $2`, [
        id,
        TASK_STATE_OF_ACTION[action],
      ]);
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw Problem.conflict(`another power action of instance ${id} is still running`);
      }
      this.log.error({ err, instanceId: id, action }, 'could not start the power action');
      throw Problem.unavailable(`the workflow service did not accept the ${action}; nothing changed`);
    }
    this.log.info({ instanceId: id, action, host: placed.host }, 'power action started');
    return (await this.views.get(id))!;
  }

  /** The last `lines` lines of the guest's console, read on its host (Nova's os-getConsoleOutput). */
  async console(principal: Principal, id: string, lines: number): Promise<{ output: string }> {
    const view = await this.visible(principal, id);
    if (!view.host || !['ACTIVE', 'SHUTOFF'].includes(view.status)) {
      throw Problem.conflict(`instance ${id} is ${view.status}: it has no console`);
    }
    try {
      return await this.workflows.readConsole({ ...view, host: view.host }, lines);
    } catch (err) {
      const message = failureText(err);
      if (message.includes(DriverCodes.DomainNotFound)) {
        throw Problem.conflict(`instance ${id} has no domain on ${view.host}: no console`);
      }
      this.log.warn({ err, instanceId: id, host: view.host }, 'console read failed');
      throw Problem.unavailable(`the console of instance ${id} could not be read on ${view.host}: ${message}`);
    }
  }

  /** Every step and undo the instance's workflows recorded, oldest first; an undo's step is `undo:<name>`. */
  async actionLog(principal: Principal, id: string): Promise<ActionLogEntry[]> {
    await this.visible(principal, id);
    const rows: any[] = await this.db.query(
      `SELECT step, host, outcome, message, started_at, finished_at FROM instance_actions
       WHERE instance_id = $1 ORDER BY started_at, finished_at NULLS LAST`,
      [id],
    );
    return rows.map((r) => ({
      step: r.step,
      host: r.host,
      outcome: r.outcome,
      message: r.message,
      startedAt: new Date(r.started_at).toISOString(),
      finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    }));
  }

  private async visible(principal: Principal, id: string): Promise<InstanceView> {
    const view = await this.views.get(id, principal.isAdmin ? undefined : principal.projectId);
    // Another project's instance is "not found": ids do not leak across tenants.
    if (!view) throw Problem.notFound('instance', id);
    return view;
  }
}
