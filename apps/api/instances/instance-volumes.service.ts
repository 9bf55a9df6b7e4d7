import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { instanceSearchAttributes } from '../../../contracts/search-attributes.js';
import { TaskQueues } from '../../../contracts/task-queues.js';
import { volumeAttachmentWorkflowId, type VolumeAttachmentInput } from '../../../contracts/volume-attachment.js';
import type { NimbusConfig } from '../../../core/config.js';
import { InstanceViews, type InstanceView } from '../../../core/instances/instance-view.js';
import type { Logger } from '../../../core/logger.js';
import type { Principal } from '../common/auth.js';
import { CONFIG, LOGGER } from '../common/core.module.js';
import { Problem, ProblemTypes } from '../common/problem.js';

type Placed = InstanceView & { host: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Volumes on running instances (Nova's os-volume_attachments): checks what the API can
 * check up front, then starts the AttachVolume or DetachVolume workflow, which re-checks
 * under the volume's row lock. Tenant-scoped: another project's instance or volume is not
 * found. Also what the OpenStack API's os-volume_attachments calls.
 */
@Injectable()
export class InstanceVolumesService {
  constructor(
    private readonly db: DataSource,
    private readonly views: InstanceViews,
    private readonly temporal: Client,
    @Inject(CONFIG) private readonly config: NimbusConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** 202: the attach runs; the volume shows `attaching`, then `in-use` with its device. */
  async attach(principal: Principal, instanceId: string, volumeId: string): Promise<InstanceView> {
    const instance = await this.running(principal, instanceId, 'attach a volume to');
    // GraphQL's ids are not checked as UUIDs at the edge, as REST's are.
    if (!UUID.test(volumeId)) throw Problem.notFound('volume', volumeId);
    const [volume]: Array<{ status: string; projectId: string }> = await this.db.query(
      `SELECT status, project_id AS "projectId" FROM volumes WHERE id = $1`,
      [volumeId],
    );
    if (!volume || volume.status === 'deleted' || volume.projectId !== instance.projectId) {
      throw Problem.notFound('volume', volumeId);
    }
    if (volume.status !== 'available') {
      throw Problem.conflict(`volume ${volumeId} is ${volume.status}, not available`);
    }
    await this.start('AttachVolume', instance, volumeId);
    return instance;
  }

  /** 202: the detach runs; the volume is `available` again once the guest let go of it. */
  async detach(principal: Principal, instanceId: string, volumeId: string): Promise<InstanceView> {
    const instance = await this.running(principal, instanceId, 'detach a volume from');
    if (!UUID.test(volumeId)) throw Problem.notFound('volume attachment', volumeId);
    const [attached] = await this.db.query(
      `SELECT 1 FROM volume_attachments WHERE volume_id = $1 AND instance_id = $2 AND device IS NOT NULL`,
      [volumeId, instanceId],
    );
    if (!attached) throw Problem.notFound('volume attachment', volumeId);
    await this.start('DetachVolume', instance, volumeId);
    return instance;
  }

  private async running(principal: Principal, id: string, what: string): Promise<Placed> {
    if (!UUID.test(id)) throw Problem.notFound('instance', id);
    const view = await this.views.get(id, principal.isAdmin ? undefined : principal.projectId);
    if (!view) throw Problem.notFound('instance', id);
    if (view.status !== 'ACTIVE' || view.taskState !== null || !view.host) {
      const busy = view.taskState ? ` (task ${view.taskState} in progress)` : '';
      throw Problem.conflict(`cannot ${what} instance ${id}: it is ${view.status}${busy}; it must be ACTIVE`);
    }
    return { ...view, host: view.host };
  }

  private async start(type: 'AttachVolume' | 'DetachVolume', instance: Placed, volumeId: string): Promise<void> {
    const input: VolumeAttachmentInput = {
      instanceId: instance.id,
      volumeId,
      projectId: instance.projectId,
      host: instance.host,
      hostPickupTimeoutSec: this.config.hostPickupTimeoutSec,
      hostStepTimeoutSec: this.config.hostStepTimeoutSec,
      hostHeartbeatTimeoutSec: this.config.hostHeartbeatTimeoutSec,
    };
    try {
      await this.temporal.workflow.start(type, {
        taskQueue: TaskQueues.workflows,
        workflowId: volumeAttachmentWorkflowId(instance.id, volumeId),
        args: [input],
        typedSearchAttributes: instanceSearchAttributes({
          instanceId: instance.id,
          projectId: instance.projectId,
          host: instance.host,
        }),
        staticSummary: `${type === 'AttachVolume' ? 'attach' : 'detach'} volume ${volumeId} on ${instance.name}`,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw Problem.conflict(`volume ${volumeId} of instance ${instance.id} is already being attached or detached`);
      }
      this.log.error({ err, instanceId: instance.id, volumeId }, `could not start ${type}`);
      throw new Problem(
        HttpStatus.SERVICE_UNAVAILABLE,
        ProblemTypes.unavailable,
        'Service unavailable',
        `the workflow service did not accept the ${type}; nothing changed`,
      );
    }
    this.log.info({ instanceId: instance.id, volumeId, host: instance.host }, `${type} started`);
  }
}
