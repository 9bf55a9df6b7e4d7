import { Inject, Injectable } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { ArmedFault, HostFaultsInput, HostFaultsRequest } from '../../../contracts/failure-injection.js';
import { TaskQueues, hostFaultsWorkflowId } from '../../../contracts/task-queues.js';
import type { NimbusConfig } from '../../../core/config.js';
import type { Logger } from '../../../core/logger.js';
import { CONFIG, LOGGER } from '../common/core.module.js';
import { Problem } from '../common/problem.js';
import { failureText } from '../common/workflow-failure.js';
import type { FaultDto } from './host.dto.js';
import { HostsService } from './hosts.service.js';

/** The admin waits on the request: a host that has not picked it up by then is treated as down. */
const FAULTS_PICKUP_SEC = 5;
/** The longest a request may take in all: pickup (a dead host) plus the host's file write. */
const FAULTS_TIMEOUT_SEC = 20;

/**
 * The failure injections armed on a host. The host's agent holds them (it has no database),
 * so each request is a HostFaults workflow run on the host's queue; what the host answers is
 * what it holds now, with each injection's remaining count.
 */
@Injectable()
export class HostFaultsService {
  constructor(
    private readonly hosts: HostsService,
    private readonly temporal: Client,
    @Inject(CONFIG) private readonly config: NimbusConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  list(host: string): Promise<ArmedFault[]> {
    return this.ask(host, { action: 'list' }, 'could not be read');
  }

  arm(host: string, fault: FaultDto): Promise<ArmedFault[]> {
    const { step, mode, times } = fault;
    return this.ask(host, { action: 'arm', fault: { step, mode, times } }, 'were not changed');
  }

  async clear(host: string): Promise<void> {
    await this.ask(host, { action: 'clear' }, 'were not cleared');
  }

  private async ask(host: string, request: HostFaultsRequest, unchanged: string): Promise<ArmedFault[]> {
    // A host never registered (404) or known to be down has no agent to ask: no wait for the pickup timeout.
    if ((await this.hosts.get(host)).status === 'down') {
      throw Problem.unavailable(
        `the faults of host ${host} ${unchanged}: the host is down (its agent stopped reporting)`,
      );
    }
    const input: HostFaultsInput = {
      ...request,
      host,
      hostPickupTimeoutSec: Math.min(this.config.hostPickupTimeoutSec ?? FAULTS_PICKUP_SEC, FAULTS_PICKUP_SEC),
    };
    try {
      return await this.temporal.workflow.execute('HostFaults', {
        taskQueue: TaskQueues.workflows,
        workflowId: hostFaultsWorkflowId(host, randomUUID()),
        args: [input],
        workflowExecutionTimeout: `${FAULTS_TIMEOUT_SEC} seconds`,
        staticSummary: `${request.action} the injected faults of ${host}`,
      });
    } catch (err) {
      this.log.warn({ err, host, action: request.action }, 'host faults request failed');
      throw Problem.unavailable(`the faults of host ${host} ${unchanged}: ${failureText(err)}`);
    }
  }
}
