import { Inject, Injectable } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { ConsoleInput, ConsoleOutput, PowerAction, PowerActionInput } from '../../../contracts/power.js';
import { instanceSearchAttributes } from '../../../contracts/search-attributes.js';
import { TaskQueues, consoleWorkflowId, powerActionWorkflowId } from '../../../contracts/task-queues.js';
import type { NimbusConfig } from '../../../core/config.js';
import type { InstanceView } from '../../../core/instances/instance-view.js';
import { CONFIG } from '../common/core.module.js';

/** The longest a console read may take in all: pickup (a dead host) plus the read itself. */
const CONSOLE_TIMEOUT_SEC = 20;
/** The user waits on the read: a host that has not picked it up by then is treated as down. */
const CONSOLE_PICKUP_SEC = 5;

/** The API's side of the power-action and console workflows. */
@Injectable()
export class PowerWorkflows {
  constructor(
    private readonly temporal: Client,
    @Inject(CONFIG) private readonly config: NimbusConfig,
  ) {}

  /** Starts InstancePowerAction; throws WorkflowExecutionAlreadyStartedError while another runs. */
  async startPowerAction(instance: InstanceView & { host: string }, action: PowerAction): Promise<void> {
    const input: PowerActionInput = {
      instanceId: instance.id,
      host: instance.host,
      action,
      hostPickupTimeoutSec: this.config.hostPickupTimeoutSec,
      hostStepTimeoutSec: this.config.hostStepTimeoutSec,
      hostHeartbeatTimeoutSec: this.config.hostHeartbeatTimeoutSec,
    };
    await this.temporal.workflow.start('InstancePowerAction', {
      taskQueue: TaskQueues.workflows,
      workflowId: powerActionWorkflowId(instance.id),
      args: [input],
      typedSearchAttributes: instanceSearchAttributes({
        instanceId: instance.id,
        projectId: instance.projectId,
        host: instance.host,
      }),
      staticSummary: `${action} ${instance.name} on ${instance.host}`,
    });
  }

  /** Runs InstanceConsole and waits for its answer, bounded by its own timeouts. */
  readConsole(instance: InstanceView & { host: string }, lines: number): Promise<ConsoleOutput> {
    const input: ConsoleInput = {
      instanceId: instance.id,
      host: instance.host,
      lines,
      hostPickupTimeoutSec: Math.min(this.config.hostPickupTimeoutSec ?? CONSOLE_PICKUP_SEC, CONSOLE_PICKUP_SEC),
    };
    return this.temporal.workflow.execute('InstanceConsole', {
      taskQueue: TaskQueues.workflows,
      workflowId: consoleWorkflowId(instance.id, randomUUID()),
      args: [input],
      workflowExecutionTimeout: `${CONSOLE_TIMEOUT_SEC} seconds`,
      staticSummary: `console of ${instance.name} (${lines} lines)`,
    });
  }
}
