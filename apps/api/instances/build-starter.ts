import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { BuildAdmission, ClaimedStart, StoredBuildStart } from '../../../core/instances/build-admission.js';
import { InstanceRecords } from '../../../core/instances/instance-records.js';
import type { Logger } from '../../../core/logger.js';
import { LOGGER } from '../common/core.module.js';
import { InstanceWorkflows } from './instance-workflows.js';

/** How often the API looks for builds admitted but not started (a failed start, a crashed API). */
export const REAP_INTERVAL_MS = 5_000;
export const BUILD_ADMISSION = Symbol('BuildAdmission');

/**
 * Starts the workflows of admitted builds from their outbox rows (core/instances/build-admission.ts):
 * the request's own start right after commit, and a reaper at boot and every few seconds for
 * the rows a failed start or a crashed API left. A DELETE that came during the start is
 * honoured once the workflow exists: it is cancelled, and its saga records DELETED.
 */
@Injectable()
export class BuildStarter implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private reaping?: Promise<number>;

  constructor(
    @Inject(BUILD_ADMISSION) private readonly admission: BuildAdmission,
    private readonly workflows: InstanceWorkflows,
    private readonly records: InstanceRecords,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.reap();
    this.timer = setInterval(() => void this.reap(), REAP_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Starts a build whose outbox row the caller holds. False when the start failed: the row is
   * released for the reaper, the instance stays BUILD/scheduling, and nothing is lost.
   */
  async start(instanceId: string, start: StoredBuildStart): Promise<boolean> {
    try {
      await this.workflows.startStoredBuild(start);
    } catch (err) {
      this.log.error({ err, instanceId }, 'could not start the build workflow; the reaper will retry');
      await this.admission.release(instanceId).catch((e: unknown) => this.log.error({ err: e, instanceId }, 'release'));
      return false;
    }
    if (await this.admission.finish(instanceId)) {
      // A DELETE came while the start was in flight: it wins, through the saga's cancellation.
      await this.workflows.cancelBuild(instanceId);
      await this.records.setTaskState(instanceId, { taskState: 'deleting' });
    }
    return true;
  }

  /** `start`, after the current request's answer is written: a failure stays in the outbox. */
  startSoon(instanceId: string, start: StoredBuildStart): void {
    setImmediate(() => {
      this.start(instanceId, start).catch((err: unknown) =>
        this.log.error({ err, instanceId }, 'the build start failed after it was sent; the reaper will see to it'),
      );
    });
  }

  /** An idempotent retry of a build whose start had failed: start it now rather than at the next reap. */
  async retry(instanceId: string): Promise<void> {
    const claimed = await this.admission.claim(instanceId);
    if (claimed) await this.start(claimed.instanceId, claimed.start);
  }

  /** Starts every orphaned build; the number started. One pass at a time per process. */
  reap(staleClaimSec?: number): Promise<number> {
    this.reaping ??= this.reapOnce(staleClaimSec).finally(() => (this.reaping = undefined));
    return this.reaping;
  }

  private async reapOnce(staleClaimSec?: number): Promise<number> {
    let started = 0;
    try {
      let batch: ClaimedStart[];
      do {
        batch = await this.admission.claimOrphans(50, staleClaimSec);
        for (const [n, c] of batch.entries()) {
          if (await this.start(c.instanceId, c.start)) {
            started++;
            continue;
          }
          // The workflow service is down: the rest wait for the next pass, unclaimed.
          for (const rest of batch.slice(n + 1)) await this.admission.release(rest.instanceId);
          return started;
        }
      } while (batch.length > 0);
    } catch (err) {
      this.log.warn({ err }, 'the build start reaper could not finish its pass');
    }
    if (started > 0) this.log.info({ started }, 'started builds admitted but not started');
    return started;
  }
}
