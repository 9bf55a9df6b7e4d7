import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FaultCodes } from '../../../contracts/errors.js';
import type { BuildProgress, CreateInstanceInput, DeleteInstanceInput } from '../../../contracts/instances.js';
import { STATUS_QUERY } from '../../../contracts/instances.js';
import { ComputeHostKey, InstanceIdKey, InstanceStatusKey, ProjectIdKey } from '../../../contracts/search-attributes.js';
import { TaskQueues, createInstanceWorkflowId, deleteInstanceWorkflowId } from '../../../contracts/task-queues.js';
import { Instance } from '../../../core/db/entities/index.js';
import { isUniqueViolation } from '../../../core/errors.js';
import { reserveWithinQuota } from '../../../core/projects/quotas.js';
import { InstanceRecords } from '../../../core/instances/instance-records.js';
import { InstanceViews, type InstanceFilter, type InstanceView } from '../../../core/instances/instance-view.js';
import { resolveBuildRequest, type BuildRequest } from '../../../core/instances/build-request.js';
import type { Logger } from '../../../core/logger.js';
import type { NimbusConfig } from '../../../core/config.js';
import type { Principal } from '../common/auth.js';
import { CONFIG, LOGGER } from '../common/infra.module.js';
import { Problem, ProblemTypes } from '../common/problem.js';
import { imagePullProgress, type ImagePullProgress } from '../images/pull-progress.js';

export interface CreateResult {
  instance: InstanceView;
  /** False when an Idempotency-Key matched an earlier request: nothing new was started. */
  created: boolean;
}

/** Builds and deletes go through here: validate, record, start the workflow, answer at once. */
@Injectable()
export class InstancesService {
  private readonly views: InstanceViews;
  private readonly records: InstanceRecords;

  constructor(
    private readonly db: DataSource,
    private readonly temporal: Client,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CONFIG) private readonly config: NimbusConfig,
  ) {
    this.views = new InstanceViews(db);
    this.records = new InstanceRecords(db);
  }

  async create(principal: Principal, req: BuildRequest, idempotencyKey?: string): Promise<CreateResult> {
    const requestSha256 = createHash('sha256').update(JSON.stringify(canonical(req))).digest('hex');
    if (idempotencyKey) {
      const earlier = await this.findByIdempotencyKey(principal, idempotencyKey, requestSha256);
      if (earlier) return { instance: earlier, created: false };
    }
    const { flavor, image, network, volume } = await resolveBuildRequest(this.db, req, principal.projectId);
    const id = randomUUID();
    const workflowId = createInstanceWorkflowId(id);
    try {
      // The quota check and the insert share a transaction holding the project's lock.
      await this.db.transaction(async (tx) => {
        const newVolumeGb = req.volume?.sizeGb ?? 0;
        await reserveWithinQuota(tx, principal.projectId, { instances: 1, vcpus: flavor.vcpus, ramMb: flavor.ramMb, volumeGb: newVolumeGb });
        await tx.getRepository(Instance).insert({
          id, name: req.name, projectId: principal.projectId, status: 'BUILD', taskState: 'scheduling', host: null,
          flavorId: flavor.id, imageId: image.id, networkId: network.id,
          // Only a volume the build will create: a standalone one is already counted as a volume.
          volumeSizeGb: volume ? null : (req.volume?.sizeGb ?? null),
          workflowId, idempotencyKey: idempotencyKey ?? null, requestSha256,
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
    const input: CreateInstanceInput = {
      instanceId: id,
      projectId: principal.projectId,
      name: req.name,
      flavor: { id: flavor.id, name: flavor.name, vcpus: flavor.vcpus, ramMb: flavor.ramMb, diskGb: flavor.diskGb },
      image: { id: image.id, name: image.name, sha256: image.sha256!, sizeBytes: image.sizeBytes! },
      networkId: network.id,
      volume: volume ? { volumeId: volume.id } : req.volume?.sizeGb !== undefined ? { sizeGb: req.volume.sizeGb } : undefined,
      hostPickupTimeoutSec: this.config.hostPickupTimeoutSec,
      hostStepTimeoutSec: this.config.hostStepTimeoutSec,
      hostHeartbeatTimeoutSec: this.config.hostHeartbeatTimeoutSec,
    };
    try {
      await this.temporal.workflow.start('CreateInstance', {
        taskQueue: TaskQueues.workflows,
        workflowId,
        args: [input],
        typedSearchAttributes: [
          { key: InstanceIdKey, value: id },
          { key: ProjectIdKey, value: principal.projectId },
          { key: InstanceStatusKey, value: 'BUILD' },
        ],
        staticSummary: `build ${req.name}: ${flavor.name}, image ${image.name}, network ${network.name}${volume ? `, volume ${volume.id}` : req.volume ? `, ${req.volume.sizeGb} GB volume` : ''}`,
        staticDetails: `instance ${id}\nproject ${principal.projectId}\nflavor ${flavor.name} (${flavor.vcpus} vCPU, ${flavor.ramMb} MB, ${flavor.diskGb} GB)\nimage ${image.name} (${image.sha256})\nnetwork ${network.name} (${network.cidr})`,
      });
    } catch (err) {
      this.log.error({ err, instanceId: id, workflowId }, 'could not start the build workflow');
      await this.records.recordFault(id, { code: FaultCodes.InternalError, message: 'the build could not be started; try again', step: null, host: null });
      throw new Problem(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.unavailable, 'Service unavailable', 'the workflow service did not accept the build; the instance is in ERROR');
    }
    this.log.info({ instanceId: id, workflowId, projectId: principal.projectId }, 'build started');
    return { instance: (await this.views.get(id))!, created: true };
  }

  async get(
    principal: Principal,
    id: string,
    opts: { live?: boolean } = {},
  ): Promise<InstanceView & { progress?: Partial<BuildProgress> & { image?: ImagePullProgress } }> {
    const view = await this.views.get(id, principal.isAdmin ? undefined : principal.projectId);
    // Another project's instance is "not found": ids do not leak across tenants.
    if (!view) throw Problem.notFound('instance', id);
    if (view.status !== 'BUILD') return view;
    const [progress, image] = await Promise.all([
      opts.live ? this.liveProgress(id) : null,
      // Bytes done/total while the host downloads the image, from the pull's heartbeats.
      view.taskState === 'pulling_image' ? imagePullProgress(this.temporal, createInstanceWorkflowId(id)) : null,
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
      try {
        await this.temporal.workflow.getHandle(createInstanceWorkflowId(id)).cancel();
        await this.records.setTaskState(id, { taskState: 'deleting' });
        return (await this.views.get(id))!;
      } catch (err) {
        // The build ended between our read and the cancel: tear down what it left.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    const current = (await this.views.get(id))!;
    const input: DeleteInstanceInput = {
      instanceId: id,
      host: current.host,
      hostPickupTimeoutSec: this.config.hostPickupTimeoutSec,
      hostStepTimeoutSec: this.config.hostStepTimeoutSec,
      hostHeartbeatTimeoutSec: this.config.hostHeartbeatTimeoutSec,
    };
    try {
      await this.temporal.workflow.start('DeleteInstance', {
        taskQueue: TaskQueues.workflows,
        workflowId: deleteInstanceWorkflowId(id),
        args: [input],
        // The delete carries the instance's attributes too, so "InstanceStatus = DELETED" finds it.
        typedSearchAttributes: [
          { key: InstanceIdKey, value: id },
          { key: ProjectIdKey, value: current.projectId },
          { key: InstanceStatusKey, value: 'DELETING' },
          ...(current.host ? [{ key: ComputeHostKey, value: current.host }] : []),
        ],
        staticSummary: `delete ${current.name}`,
      });
      await this.records.setTaskState(id, { taskState: 'deleting' });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return (await this.views.get(id))!;
  }

  private async liveProgress(id: string): Promise<BuildProgress | null> {
    try {
      const handle = this.temporal.workflow.getHandle(createInstanceWorkflowId(id));
      return await Promise.race([
        handle.query<BuildProgress>(STATUS_QUERY),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000).unref()),
      ]);
    } catch {
      return null; // The database view is still truthful; the live detail is a bonus.
    }
  }

  private async findByIdempotencyKey(principal: Principal, key: string, requestSha256: string): Promise<InstanceView | null> {
    const earlier = await this.db.getRepository(Instance).findOneBy({ projectId: principal.projectId, idempotencyKey: key });
    if (!earlier) return null;
    if (earlier.requestSha256 !== requestSha256) {
      throw Problem.conflict(`Idempotency-Key "${key}" was used with a different request body`, ProblemTypes.idempotencyMismatch);
    }
    return this.views.get(earlier.id);
  }
}

/** Key order and absent optionals must not make two equal requests differ. */
function canonical(req: BuildRequest): unknown {
  return { name: req.name, flavor: req.flavor, image: req.image, network: req.network, volume: req.volume ? (req.volume.id !== undefined ? { id: req.volume.id } : { sizeGb: req.volume.sizeGb }) : null };
}
