import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { BuildProgress } from '../../../contracts/instances.js';
import { Instance } from '../../../core/db/entities/index.js';
import { isQuotaExceeded, isUniqueViolation } from '../../../core/errors.js';
import type { BuildAdmission } from '../../../core/instances/build-admission.js';
import { resolveBuildRequest, type BuildRequest } from '../../../core/instances/build-request.js';
import { InstanceRecords } from '../../../core/instances/instance-records.js';
import {
  admittedInstanceView,
  InstanceViews,
  type InstanceFilter,
  type InstanceView,
} from '../../../core/instances/instance-view.js';
import type { Logger } from '../../../core/logger.js';
import type { Principal } from '../common/auth.js';
import { LOGGER } from '../common/core.module.js';
import { Problem, ProblemTypes } from '../common/problem.js';
import type { ImagePullProgress } from '../images/pull-progress.js';
import { BUILD_ADMISSION, BuildStarter } from './build-starter.js';
import { InstanceWorkflows } from './instance-workflows.js';

export interface CreateResult {
  instance: InstanceView;
  /** False when an Idempotency-Key matched an earlier request: nothing new was started. */
  created: boolean;
}

export type LiveInstanceView = InstanceView & { progress?: Partial<BuildProgress> & { image?: ImagePullProgress } };

/** Builds and deletes go through here: validate, record, start the workflow, answer at once. */
@Injectable()
export class InstancesService {
  constructor(
    private readonly db: DataSource,
    private readonly views: InstanceViews,
    private readonly records: InstanceRecords,
    private readonly workflows: InstanceWorkflows,
    private readonly starter: BuildStarter,
    @Inject(BUILD_ADMISSION) private readonly admission: BuildAdmission,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async create(principal: Principal, req: BuildRequest, idempotencyKey?: string): Promise<CreateResult> {
    const requestSha256 = createHash('sha256')
      .update(JSON.stringify(canonical(req)))
      .digest('hex');
    // Before the quota: a retry of an accepted request answers with it even at full quota.
    if (idempotencyKey) {
      const earlier = await this.replay(principal, idempotencyKey, requestSha256);
      if (earlier) return { instance: earlier, created: false };
    }
    const resolved = await resolveBuildRequest(this.db, req, principal);
    const { flavor, image, network, volume } = resolved;
    const id = randomUUID();
    // Only a volume the build will create: a standalone one is already counted as a volume.
    const newVolumeGb = volume ? undefined : req.volume?.sizeGb;
    const start = this.workflows.buildStart({
      ...resolved,
      instanceId: id,
      projectId: principal.projectId,
      name: req.name,
      newVolumeGb,
    });
    let admitted: { createdAt: Date; updatedAt: Date };
    try {
      // Quota check, instance and outbox row in one statement (core/instances/build-admission.ts).
      admitted = await this.admission.admit(
        {
          id,
          name: req.name,
          projectId: principal.projectId,
          flavorId: flavor.id,
          imageId: image.id,
          networkId: network.id,
          volumeSizeGb: newVolumeGb ?? null,
          workflowId: start.workflowId,
          idempotencyKey: idempotencyKey ?? null,
          requestSha256,
        },
        { instances: 1, vcpus: flavor.vcpus, ramMb: flavor.ramMb, volumeGb: req.volume?.sizeGb ?? 0 },
        start,
      );
    } catch (err) {
      // Two requests with one key raced: the loser answers with the winner's instance, even
      // when the winner's admission is what filled the quota.
      if (idempotencyKey && (isUniqueViolation(err) || isQuotaExceeded(err))) {
        const earlier = await this.replay(principal, idempotencyKey, requestSha256);
        if (earlier) return { instance: earlier, created: false };
      }
      throw err;
    }
    // The build is admitted and durable: its workflow starts once this answer is on its way (a
    // burst does not wait for Temporal), and a start that fails is retried by the reaper.
    this.starter.startSoon(id, start);
    this.log.info({ instanceId: id, projectId: principal.projectId }, 'build admitted');
    const instance = admittedInstanceView({
      id,
      name: req.name,
      projectId: principal.projectId,
      flavor,
      image,
      ...admitted,
    });
    return { instance, created: true };
  }

  async get(principal: Principal, id: string, opts: { live?: boolean } = {}): Promise<LiveInstanceView> {
    const view = await this.views.get(id, principal.isAdmin ? undefined : principal.projectId);
    // Another project's instance is "not found": ids do not leak across tenants.
    if (!view) throw Problem.notFound('instance', id);
    if (view.status !== 'BUILD') return view;
    const [progress, image] = await Promise.all([
      opts.live ? this.workflows.buildProgress(id) : null,
      view.taskState === 'pulling_image' ? this.workflows.imagePullProgress(id) : null,
    ]);
    if (!progress && !image) return view;
    return { ...view, progress: { ...progress, ...(image ? { image } : {}) } };
  }

  list(principal: Principal, filter: InstanceFilter): Promise<InstanceView[]> {
    return this.views.list({ ...filter, projectId: principal.isAdmin ? filter.projectId : principal.projectId });
  }

  /**
   * A building instance is cancelled (its saga compensates and records DELETED); any other
   * is torn down by DeleteInstance. Deleting a deleted instance changes nothing.
   */
  async delete(principal: Principal, id: string): Promise<InstanceView> {
    const view = await this.get(principal, id);
    if (view.status === 'DELETED') return view;
    if (view.status === 'BUILD') {
      // A build not started yet: the delete wins (core/instances/build-admission.ts).
      const withdrawal = await this.admission.withdraw(id);
      if (withdrawal === 'withdrawn') return (await this.views.get(id))!;
      if (withdrawal === 'cancel-requested') {
        await this.records.setTaskState(id, { taskState: 'deleting' });
        return (await this.views.get(id))!;
      }
    }
    // When the build ended between our read and the cancel, DeleteInstance tears down what it left.
    if (view.status === 'BUILD' && (await this.workflows.cancelBuild(id))) {
      await this.records.setTaskState(id, { taskState: 'deleting' });
      return (await this.views.get(id))!;
    }
    const current = (await this.views.get(id))!;
    if (await this.workflows.startDelete(current)) await this.records.setTaskState(id, { taskState: 'deleting' });
    return (await this.views.get(id))!;
  }

  /**
   * The instance an earlier request with this key made: its build when it is alive (a start
   * that had failed is retried now), a 409 naming it when it ended in ERROR or was deleted,
   * never a 202 for a build that is not going to happen.
   */
  private async replay(principal: Principal, key: string, sha256: string): Promise<InstanceView | null> {
    const earlier = await this.findByIdempotencyKey(principal, key, sha256);
    if (!earlier) return null;
    if (earlier.status === 'ERROR' || earlier.status === 'DELETED') {
      const fault = earlier.fault ? `: ${earlier.fault.code}: ${earlier.fault.message}` : '';
      throw new Problem(
        HttpStatus.CONFLICT,
        ProblemTypes.idempotentRequestFailed,
        'Conflict',
        `Idempotency-Key "${key}" made instance ${earlier.id}, which is ${earlier.status}${fault}; ` +
          'send a new key to build again',
        { instance: earlier.id, status: earlier.status, fault: earlier.fault },
      );
    }
    if (earlier.status === 'BUILD') await this.starter.retry(earlier.id);
    return earlier;
  }

  private async findByIdempotencyKey(principal: Principal, key: string, sha256: string): Promise<InstanceView | null> {
    const repo = this.db.getRepository(Instance);
    const earlier = await repo.findOneBy({ projectId: principal.projectId, idempotencyKey: key });
    if (!earlier) return null;
    if (earlier.requestSha256 !== sha256) {
      const detail = `Idempotency-Key "${key}" was used with a different request body`;
      throw Problem.conflict(detail, ProblemTypes.idempotencyMismatch);
    }
    return this.views.get(earlier.id);
  }
}

/** Key order and absent optionals must not make two equal requests differ. */
function canonical(req: BuildRequest): unknown {
  const volume = req.volume
    ? req.volume.id !== undefined
      ? { id: req.volume.id }
      : { sizeGb: req.volume.sizeGb }
    : null;
  return { name: req.name, flavor: req.flavor, image: req.image, network: req.network, volume };
}
