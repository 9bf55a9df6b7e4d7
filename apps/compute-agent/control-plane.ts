/**
 * How a compute agent (and the simulated fleet) reaches the control plane without a database:
 * HostSync for registration and reconciliation, HostHeartbeats for liveness. Temporal is the
 * only way in (Nova's rule: compute nodes ask the conductor).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import {
  HOST_HEARTBEAT_SIGNAL,
  type HostHeartbeatSignal,
  type HostHeartbeatsInput,
  type HostReport,
  type HostSyncInput,
  type HostSyncResult,
} from '../../contracts/host-sync.js';
import { TaskQueues, hostHeartbeatsWorkflowId, hostSyncWorkflowId } from '../../contracts/task-queues.js';
import type { AskControlPlane } from '../../core/compute/reconciler.js';
import type { Logger } from '../../core/logger.js';

/** How often a HostSync that waits (no controller runs) is logged again. */
const STILL_WAITING_MS = 30_000;

export class ControlPlane {
  constructor(
    private readonly client: Client,
    private readonly log: Logger,
  ) {}

  /**
   * Reports hosts and returns the control plane's answer. While no controller serves the
   * queues the workflow waits, and so does this (logged every 30 s); a failure (the database
   * unreachable through every retry) throws.
   */
  async sync(reports: Array<Omit<HostReport, 'sentAt'>>): Promise<HostSyncResult> {
    const sentAt = Date.now();
    const input: HostSyncInput = { reports: reports.map((r) => ({ ...r, sentAt })) };
    const hosts = reports.length;
    const waiting = setInterval(
      () => this.log.warn({ hosts, waitedSec: Math.round((Date.now() - sentAt) / 1000) }, 'still waiting for HostSync'),
      STILL_WAITING_MS,
    );
    try {
      return await this.client.workflow.execute<(input: HostSyncInput) => Promise<HostSyncResult>>('HostSync', {
        taskQueue: TaskQueues.workflows,
        workflowId: hostSyncWorkflowId(reports[0]?.host ?? 'none', randomUUID()),
        args: [input],
      });
    } finally {
      clearInterval(waiting);
    }
  }

  /** The reconciliation's question for one host (core/compute/reconciler.ts). */
  ask(host: string): AskControlPlane {
    return async (domains) => (await this.sync([{ host, domains }])).hosts[0];
  }

  /**
   * Heartbeats every `intervalMs` for the hosts `hosts()` names, as one signal to the agent's
   * HostHeartbeats workflow (started by the first). One at a time: while a signal waits on
   * Temporal, the next interval is skipped rather than piled up. Returns a stop function.
   */
  heartbeats(agent: string, hosts: () => string[], intervalMs: number): () => void {
    let sending = false;
    const beat = async () => {
      const names = hosts();
      if (sending || names.length === 0) return;
      sending = true;
      try {
        await this.client.withDeadline(Date.now() + Math.max(intervalMs, 5000), () =>
          this.client.workflow.signalWithStart<(input: HostHeartbeatsInput) => Promise<void>, [HostHeartbeatSignal]>(
            'HostHeartbeats',
            {
              taskQueue: TaskQueues.workflows,
              workflowId: hostHeartbeatsWorkflowId(agent),
              args: [{}],
              signal: HOST_HEARTBEAT_SIGNAL,
              signalArgs: [{ hosts: names, sentAt: Date.now() }],
            },
          ),
        );
      } catch (err) {
        this.log.warn({ err }, 'heartbeat failed');
      } finally {
        sending = false;
      }
    };
    const timer = setInterval(() => void beat(), intervalMs);
    return () => clearInterval(timer);
  }
}

/**
 * Runs a start-up step that needs the control plane until it succeeds: a HostSync that failed
 * (the database away longer than its retries) is asked again, with a growing pause. SIGINT
 * and SIGTERM end the process meanwhile: no worker runs yet that a graceful stop would wait for.
 */
export async function atStart<T>(what: string, step: () => Promise<T>, log: Logger): Promise<T> {
  const stop = (signal: NodeJS.Signals) => {
    log.info({ signal }, `stopped while waiting for the control plane (${what})`);
    process.exit(0);
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    for (let pauseMs = 1000; ; pauseMs = Math.min(pauseMs * 2, 30_000)) {
      try {
        return await step();
      } catch (err) {
        log.error({ err }, `${what} failed; trying again in ${pauseMs / 1000} s`);
        await sleep(pauseMs);
      }
    }
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
}
