import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { PullProgress } from '../../../activities/compute.js';
import type { ComputeActivities } from '../../../contracts/activities.js';

/** How far a node has got pulling a build's image, as `GET /v1/instances/:id` shows it. */
export interface ImagePullProgress {
  bytesDone: number;
  bytesTotal: number;
}

const PULL_ACTIVITY: keyof ComputeActivities = 'pullImage';

/**
 * Reads the pull's progress from the heartbeat details of the build's pending pullImage
 * activity (Temporal keeps the last ones, across retries), so the bytes stay on the node
 * and the workflow's history carries no progress events. Null when no pull is pending,
 * it has not reported yet, or Temporal does not answer in time: the view from Postgres
 * is still true without it.
 */
export async function imagePullProgress(
  temporal: Client,
  workflowId: string,
  timeoutMs = 1000,
): Promise<ImagePullProgress | null> {
  try {
    const description = await Promise.race([
      temporal.workflow.getHandle(workflowId).describe(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref()),
    ]);
    const pull = description?.raw.pendingActivities?.find((a) => a.activityType?.name === PULL_ACTIVITY);
    const payload = pull?.heartbeatDetails?.payloads?.[0];
    if (!payload) return null;
    const details = defaultPayloadConverter.fromPayload<Partial<PullProgress> | undefined>(payload);
    const bytes = details?.bytes;
    const total = details?.total;
    if (!Number.isSafeInteger(bytes) || !Number.isSafeInteger(total)) return null;
    return { bytesDone: bytes!, bytesTotal: total! };
  } catch {
    return null;
  }
}
