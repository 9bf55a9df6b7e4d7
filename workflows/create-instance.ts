import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type {
  ComputeActivities,
  NetworkActivities,
  RecordsActivities,
  SchedulerActivities,
  StorageActivities,
  VolumeInfo,
} from '../contracts/activities.js';
import { FaultCodes } from '../contracts/errors.js';
import type { Attempt, BuildStep, CreateInstanceInput, Fault, TaskState } from '../contracts/instances.js';
import { MAX_SCHEDULING_ATTEMPTS } from '../contracts/instances.js';
import { ComputeHostKey, InstanceStatusKey } from '../contracts/search-attributes.js';
import { TaskQueues, computeQueue } from '../contracts/task-queues.js';
import { hostTiming, controlPlane, hostLocal, records, undo } from './activity-options.js';
import { ProgressTracker } from './build-progress.js';
import { StepFailure, attemptOutcome, failureMessage, failureType, isFatal, toFault } from './failures.js';
import { Saga } from './saga.js';

const scheduler = proxyActivities<SchedulerActivities>(controlPlane(TaskQueues.scheduler));
const network = proxyActivities<NetworkActivities>(controlPlane(TaskQueues.network));
const storage = proxyActivities<StorageActivities>(controlPlane(TaskQueues.storage));
const record = proxyActivities<RecordsActivities>(records());
const schedulerUndo = proxyActivities<SchedulerActivities>(undo(TaskQueues.scheduler));
const networkUndo = proxyActivities<NetworkActivities>(undo(TaskQueues.network));
const storageUndo = proxyActivities<StorageActivities>(undo(TaskQueues.storage));

/**
 * Builds one instance: schedule → claim → pull image → spawn → port + VIF → volume →
 * ACTIVE. Each step registers its undo first; on failure or cancellation the undos run
 * in reverse and the instance ends ERROR (or DELETED when the build was cancelled).
 */
export async function CreateInstance(input: CreateInstanceInput): Promise<{ host: string }> {
  const { instanceId } = input;
  // Pickup, step and heartbeat timeouts of host steps: the input's overrides or the defaults.
  const timing = hostTiming(input);
  const progress = new ProgressTracker(instanceId);
  const onUndone = (name: string) => record.recordStep({ instanceId, step: name, host: progress.state.host, phase: 'compensated' });
  const saga = new Saga(progress, onUndone);

  /** Runs one step with its action row, task state and live progress. */
  async function step<T>(name: BuildStep, host: string | null, taskState: TaskState | undefined, run: () => Promise<T>): Promise<T> {
    progress.stepStarted(name, host);
    if (taskState) progress.taskState(taskState);
    setCurrentDetails(`${name}${host ? ` on ${host}` : ''}`);
    await record.recordStep({ instanceId, step: name, host, phase: 'start', taskState });
    try {
      const result = await run();
      progress.stepEnded(name, 'succeeded');
      await record.recordStep({ instanceId, step: name, host, phase: 'succeeded' });
      return result;
    } catch (err) {
      progress.stepEnded(name, 'failed');
      if (!isCancellation(err)) {
        await record.recordStep({ instanceId, step: name, host, phase: 'failed', message: failureMessage(err) });
      }
      throw new StepFailure(name, host, err);
    }
  }

  /** Schedule, claim, pull and spawn on one host; a host-local failure moves to the next host. */
  async function placeAndSpawn(): Promise<string> {
    const tried: Attempt[] = [];
    for (let attemptNo = 1; attemptNo <= MAX_SCHEDULING_ATTEMPTS; attemptNo++) {
      const choice = await step('schedule', null, 'scheduling', () =>
        scheduler.selectHost({ instanceId, flavor: input.flavor, excludeHosts: tried.map((a) => a.host) }),
      ).catch((err: StepFailure) => {
        if (failureType(err.error) !== FaultCodes.NoValidHost) throw err;
        throw noValidHost(tried, failureMessage(err.error), tried.length === 0 ? 'schedule' : 'claim');
      });
      const host = choice.host;
      progress.host(host);
      const compute = proxyActivities<ComputeActivities>(hostLocal(host, timing, '30 seconds'));
      const computeUndo = proxyActivities<ComputeActivities>(undo(computeQueue(host), timing));
      const hostSaga = new Saga(progress, onUndone);
      try {
        hostSaga.add(`releaseClaim(${host})`, () => schedulerUndo.releaseClaim({ instanceId }));
        await step('claim', host, undefined, () =>
          compute.claimResources.executeWithOptions(
            { ...hostLocal(host, timing, '30 seconds'), summary: `claim ${input.flavor.name} on ${host}` },
            [{ instanceId, flavor: input.flavor }],
          ),
        );
        record1(attemptNo, { host, outcome: 'claimed', reason: null }, tried);
        await record.recordAttempt({ instanceId, attemptNo, attempt: tried[attemptNo - 1] });
        upsertSearchAttributes([{ key: ComputeHostKey, value: host }]);
        await step('pull_image', host, 'pulling_image', () =>
          compute.pullImage.executeWithOptions(
            { ...hostLocal(host, timing, '10 minutes', '30 seconds'), summary: `pull image ${input.image.name} to ${host}` },
            [{ instanceId, image: input.image }],
          ),
        );
        hostSaga.add(`destroyDomain(${host})`, () => computeUndo.destroyDomain({ instanceId }));
        await step('spawn', host, 'spawning', () =>
          compute.spawnDomain.executeWithOptions(
            { ...hostLocal(host, timing, '5 minutes'), summary: `spawn ${input.name} on ${host}` },
            [{ instanceId, name: input.name, flavor: input.flavor, image: input.image }],
          ),
        );
        saga.adopt(hostSaga);
        return host;
      } catch (err) {
        const inner = err instanceof StepFailure ? err.error : err;
        if (isFatal(inner)) {
          saga.adopt(hostSaga);
          throw err;
        }
        record1(attemptNo, { host, outcome: attemptOutcome(inner), reason: failureMessage(inner) }, tried);
        // Not cancellable: a DELETE arriving here must not skip releasing this host below.
        await CancellationScope.nonCancellable(() => record.recordAttempt({ instanceId, attemptNo, attempt: tried[attemptNo - 1] }));
        await hostSaga.compensate();
        progress.host(null);
      }
    }
    throw noValidHost(tried, null, 'claim');
  }

  function record1(attemptNo: number, attempt: Attempt, tried: Attempt[]): void {
    tried[attemptNo - 1] = attempt;
    progress.attempt(attemptNo, attempt);
  }

  try {
    const host = await placeAndSpawn();
    saga.add('deallocatePort', () => networkUndo.deallocatePort({ instanceId }));
    const port = await step('allocate_port', null, 'networking', () =>
      network.allocatePort.executeWithOptions(
        { ...controlPlane(TaskQueues.network), summary: `allocate a port on network ${input.networkId}` },
        [{ instanceId, networkId: input.networkId, host }],
      ),
    );
    const compute = proxyActivities<ComputeActivities>(hostLocal(host, timing, '1 minute'));
    const computeUndo = proxyActivities<ComputeActivities>(undo(computeQueue(host), timing));
    saga.add(`unplugVif(${host})`, () => computeUndo.unplugVif({ instanceId }));
    await step('plug_vif', host, undefined, () =>
      compute.plugVif.executeWithOptions(
        { ...hostLocal(host, timing, '1 minute'), summary: `plug ${port.ip} (${port.mac}) into ${input.name}` },
        [{ instanceId, port }],
      ),
    );

    /** Attaches a volume on the host. Its undo only detaches: the volume's own undo decides whether it is deleted. */
    const attach = async (volume: VolumeInfo): Promise<void> => {
      saga.add(`detachVolume(${host})`, () => computeUndo.detachVolume({ instanceId, volumeId: volume.volumeId }));
      await step('attach_volume', host, undefined, () =>
        compute.attachVolume.executeWithOptions(
          { ...hostLocal(host, timing, '1 minute'), summary: `attach volume ${volume.volumeId} to ${input.name}` },
          [{ instanceId, volume }],
        ),
      );
    };

    if (input.volume && 'volumeId' in input.volume) {
      // The user's standalone volume: reserved for this build, given back (never deleted) on failure.
      // Only inputs that name one take this branch, so builds started before it replay unchanged.
      const { volumeId } = input.volume;
      saga.add('unreserveVolume', () => storageUndo.unreserveVolume({ volumeId, instanceId }));
      const volume = await step('reserve_volume', null, 'attaching_volume', () =>
        storage.reserveVolume.executeWithOptions(
          { ...controlPlane(TaskQueues.storage), summary: `reserve volume ${volumeId} for ${input.name}` },
          [{ volumeId, instanceId, projectId: input.projectId, host }],
        ),
      );
      await attach(volume);
    } else if (input.volume) {
      const { sizeGb } = input.volume;
      const volumeId = uuid4(); // Deterministic on replay: the id that makes createVolume idempotent.
      saga.add('deleteVolume', () => storageUndo.deleteVolume({ volumeId }));
      const volume = await step('create_volume', null, 'attaching_volume', () =>
        storage.createVolume.executeWithOptions(
          { ...controlPlane(TaskQueues.storage), summary: `create a ${sizeGb} GB volume` },
          [{ volumeId, instanceId, projectId: input.projectId, sizeGb }],
        ),
      );
      await attach(volume);
    }

    await record.recordActive({ instanceId, host });
    progress.ended('ACTIVE');
    upsertSearchAttributes([{ key: InstanceStatusKey, value: 'ACTIVE' }]);
    setCurrentDetails(`ACTIVE on ${host}`);
    return { host };
  } catch (err) {
    const fault = toFault(err);
    const cancelled = isCancellation(err instanceof StepFailure ? err.error : err);
    await saga.compensate();
    if (cancelled) {
      // DELETE of a building instance: the saga has released everything; the instance is gone.
      // The workflow's scope is cancelled: an activity scheduled in it would be cancelled at once.
      await CancellationScope.nonCancellable(() => record.recordDeleted({ instanceId }));
      progress.ended('DELETED');
      upsertSearchAttributes([{ key: InstanceStatusKey, value: 'DELETED' }]);
      throw err instanceof StepFailure ? err.error : err;
    }
    await record.recordFault({ instanceId, fault });
    progress.ended('ERROR', fault);
    upsertSearchAttributes([{ key: InstanceStatusKey, value: 'ERROR' }]);
    setCurrentDetails(`ERROR: ${fault.code}`);
    throw ApplicationFailure.nonRetryable(fault.message, fault.code, fault);
  }
}

/** NoValidHost with every attempt's host and reason, as an operator needs to read it. */
function noValidHost(tried: Attempt[], lastReason: string | null, step: BuildStep): StepFailure {
  const parts = tried.map((a, i) => `attempt ${i + 1} on ${a.host}: ${a.outcome}${a.reason ? ` (${a.reason})` : ''}`);
  if (lastReason) parts.push(lastReason);
  const message = tried.length
    ? `no valid host after ${tried.length} attempt(s): ${parts.join('; ')}`
    : `no valid host: ${lastReason ?? 'no host available'}`;
  const fault: Fault = { code: FaultCodes.NoValidHost, message, step, host: null };
  return new StepFailure(step, null, ApplicationFailure.nonRetryable(message, FaultCodes.NoValidHost, fault));
}
