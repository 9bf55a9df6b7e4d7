import { Inject, Injectable } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { BuildProgress, CreateInstanceInput, DeleteInstanceInput } from '../../../contracts/instances.js';
import { STATUS_QUERY } from '../../../contracts/instances.js';
import { instanceSearchAttributes } from '../../../contracts/search-attributes.js';
import { TaskQueues, createInstanceWorkflowId, deleteInstanceWorkflowId } from '../../../contracts/task-queues.js';
import type { NimbusConfig } from '../../../core/config.js';
import type { StoredBuildStart } from '../../../core/instances/build-admission.js';
import type { ResolvedBuild } from '../../../core/instances/build-request.js';
import type { InstanceView } from '../../../core/instances/instance-view.js';
import { CONFIG } from '../common/core.module.js';
import { imagePullProgress, type ImagePullProgress } from '../images/pull-progress.js';

/** What a build starts from: the new instance's record and everything its request resolved to. */
export interface BuildStart extends ResolvedBuild {
  instanceId: string;
  projectId: string;
  name: string;
  /** The size of a new volume the build creates (none when it attaches an existing one). */
  newVolumeGb?: number;
}

/** The search attributes an instance's workflows carry (contracts/search-attributes.ts). */
interface InstanceAttributes {
  instanceId: string;
  projectId: string;
  status: 'BUILD' | 'DELETING';
  host?: string | null;
}

/** The API's side of Temporal: starting, cancelling and peeking into instance workflows. */
@Injectable()
export class InstanceWorkflows {
  constructor(
    private readonly temporal: Client,
    @Inject(CONFIG) private readonly config: NimbusConfig,
  ) {}

  /** Everything the CreateInstance start needs, kept in the build's outbox row until it has started. */
  buildStart(b: BuildStart): StoredBuildStart {
    const { flavor, image, network, volume } = b;
    const input: CreateInstanceInput = {
      instanceId: b.instanceId,
      projectId: b.projectId,
      name: b.name,
      flavor: { id: flavor.id, name: flavor.name, vcpus: flavor.vcpus, ramMb: flavor.ramMb, diskGb: flavor.diskGb },
      image: { id: image.id, name: image.name, sha256: image.sha256!, sizeBytes: image.sizeBytes! },
      networkId: network.id,
      volume: volume ? { volumeId: volume.id } : b.newVolumeGb !== undefined ? { sizeGb: b.newVolumeGb } : undefined,
      ...this.hostTimeouts(),
    };
    const volumeSummary = volume ? `, volume ${volume.id}` : b.newVolumeGb ? `, ${b.newVolumeGb} GB volume` : '';
    const details = [
      `instance ${b.instanceId}`,
      `project ${b.projectId}`,
      `flavor ${flavor.name} (${flavor.vcpus} vCPU, ${flavor.ramMb} MB, ${flavor.diskGb} GB)`,
      `image ${image.name} (${image.sha256})`,
      `network ${network.name} (${network.cidr})`,
    ];
    return {
      workflowId: createInstanceWorkflowId(b.instanceId),
      input,
      staticSummary: `build ${b.name}: ${flavor.name}, image ${image.name}, network ${network.name}${volumeSummary}`,
      staticDetails: details.join('\n'),
    };
  }

  /**
   * Starts a stored build; starting one that exists (running or ended) is a no-op, so the
   * request's own start and the reaper's may both run: the id is the instance's, never reused.
   */
  async startStoredBuild(start: StoredBuildStart): Promise<void> {
    const input = start.input as CreateInstanceInput;
    try {
      await this.start('CreateInstance', start.workflowId, input, {
        attributes: { instanceId: input.instanceId, projectId: input.projectId, status: 'BUILD' },
        staticSummary: start.staticSummary,
        staticDetails: start.staticDetails,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Cancels a build in flight; false when it had already ended. */
  async cancelBuild(instanceId: string): Promise<boolean> {
    try {
      await this.temporal.workflow.getHandle(createInstanceWorkflowId(instanceId)).cancel();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Starts DeleteInstance; false when one was already started (it is left to finish). */
  async startDelete(instance: InstanceView): Promise<boolean> {
    const input: DeleteInstanceInput = { instanceId: instance.id, host: instance.host, ...this.hostTimeouts() };
    try {
      await this.start('DeleteInstance', deleteInstanceWorkflowId(instance.id), input, {
        // The delete carries the instance's attributes too, so "InstanceStatus = DELETED" finds it.
        attributes: { instanceId: instance.id, projectId: instance.projectId, status: 'DELETING', host: instance.host },
        staticSummary: `delete ${instance.name}`,
      });
      return true;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return false;
    }
  }

  /** The build's own account of where it is (its status query); null when it does not answer in time. */
  async buildProgress(instanceId: string): Promise<BuildProgress | null> {
    try {
      const handle = this.temporal.workflow.getHandle(createInstanceWorkflowId(instanceId));
      return await Promise.race([
        handle.query<BuildProgress>(STATUS_QUERY),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000).unref()),
      ]);
    } catch {
      return null; // The database view is still truthful; the live detail is a bonus.
    }
  }

  /** Bytes done/total while the host downloads the build's image, from the pull's heartbeats. */
  imagePullProgress(instanceId: string): Promise<ImagePullProgress | null> {
    return imagePullProgress(this.temporal, createInstanceWorkflowId(instanceId));
  }

  private async start(
    workflowType: 'CreateInstance' | 'DeleteInstance',
    workflowId: string,
    input: CreateInstanceInput | DeleteInstanceInput,
    opts: { attributes: InstanceAttributes; staticSummary: string; staticDetails?: string },
  ): Promise<void> {
    await this.temporal.workflow.start(workflowType, {
      taskQueue: TaskQueues.workflows,
      workflowId,
      // A build's id is never reused: a late second start finds the first, even ended.
      ...(workflowType === 'CreateInstance' ? { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const } : {}),
      args: [input],
      typedSearchAttributes: instanceSearchAttributes(opts.attributes),
      staticSummary: opts.staticSummary,
      staticDetails: opts.staticDetails,
    });
  }

  /** The host-step timeouts every instance workflow carries, from configuration. */
  private hostTimeouts() {
    return {
      hostPickupTimeoutSec: this.config.hostPickupTimeoutSec,
      hostStepTimeoutSec: this.config.hostStepTimeoutSec,
      hostHeartbeatTimeoutSec: this.config.hostHeartbeatTimeoutSec,
    };
  }
}
