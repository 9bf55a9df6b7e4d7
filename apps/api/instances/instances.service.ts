import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FaultCodes } from '../../../contracts/errors.js';
import type { BuildProgress } from '../../../contracts/instances.js';
import { createInstanceWorkflowId } from '../../../contracts/task-queues.js';
import { Instance } from '../../../core/db/entities/index.js';
import { isUniqueViolation } from '../../../core/errors.js';
import { resolveBuildRequest, type BuildRequest } from '../../../core/instances/build-request.js';
import { InstanceRecords } from '../../../core/instances/instance-records.js';
import { InstanceViews, type InstanceFilter, type InstanceView } from '../../../core/instances/instance-view.js';
import type { Logger } from '../../../core/logger.js';
import { reserveWithinQuota } from '../../../core/projects/quotas.js';
import type { Principal } from '../common/auth.js';
import { LOGGER } from '../common/core.module.js';
import { Problem, ProblemTypes } from '../common/problem.js';
import type { ImagePullProgress } from '../images/pull-progress.js';
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
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async create(principal: Principal, req: BuildRequest, idempotencyKey?: string): Promise<CreateResult> {
    const requestSha256 = createHash('sha256')
      .update(JSON.stringify(canonical(req)))
      .digest('hex');
    if (idempotencyKey) {
      const earlier = await this.findByIdempotencyKey(principal, idempotencyKey, requestSha256);
      if (earlier) return { instance: earlier, created: false };
    }
    const resolved = await resolveBuildRequest(this.db, req, principal);
    const { flavor, volume } = resolved;
    const id = randomUUID();
    const workflowId = createInstanceWorkflowId(id);
    // Only a volume the build will create: a standalone one is already counted as a volume.
    const newVolumeGb = volume ? undefined : req.volume?.sizeGb;
    try {
      // The quota check and the insert share a transaction holding the project's lock.
      await this.db.transaction(async (tx) => {
        const usage = { instances: 1, vcpus: flavor.vcpus, ramMb: flavor.ramMb, volumeGb: req.volume?.sizeGb ?? 0 };
        await reserveWithinQuota(tx, principal.projectId, usage);
        await tx.getRepository(Instance).insert({
          id,
          name: req.name,
          projectId: principal.projectId,
          status: 'BUILD',
          taskState: 'scheduling',
          host: null,
          flavorId: flavor.id,
          imageId: resolved.image.id,
          networkId: resolved.network.id,
          volumeSizeGb: newVolumeGb ?? null,
          workflowId,
          idempotencyKey: idempotencyKey ?? null,
          requestSha256,
        });
      });
    } catch (err) {
      // Two requests with one key raced: the loser answers with the winner's instance.
      if (idempotencyKey && isUniqueViolation(err)) {
        const earlier = await this.findByIdempotencyKey(principal, idempotencyKey, requestSha256);
        if (earlier) return { instance: earlier, created: false };
      }
      throw err;
    }
    try {
      await this.workflows.startBuild({
        ...resolved,
        instanceId: id,
        projectId: principal.projectId,
        name: req.name,
        newVolumeGb,
      });
    } catch (err) {
      this.log.error({ err, instanceId: id, workflowId }, 'could not start the build workflow');
      const fault = { code: FaultCodes.InternalError, message: 'the build could not be started; try again' };
      await this.records.recordFault(id, { ...fault, step: null, host: null });
      throw new Problem(
        HttpStatus.SERVICE_UNAVAILABLE,
        ProblemTypes.unavailable,
        'Service unavailable',
        'the workflow service did not accept the build; the instance is in ERROR',
      );
    }
    this.log.info({ instanceId: id, workflowId, projectId: principal.projectId }, 'build started');
    return { instance: (await this.views.get(id))!, created: true };
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
    // When the build ended between our read and the cancel, DeleteInstance tears down what it left.
    if (view.status === 'BUILD' && (await this.workflows.cancelBuild(id))) {
      await this.records.setTaskState(id, { taskState: 'deleting' });
      return (await this.views.get(id))!;
    }
    const current = (await this.views.get(id))!;
    if (await this.workflows.startDelete(current)) await this.records.setTaskState(id, { taskState: 'deleting' });
    return (await this.views.get(id))!;
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
