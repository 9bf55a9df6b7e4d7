import { isCancellation, setCurrentDetails } from '@temporalio/workflow';
import { TASK_STATE_OF_STEP, type BuildStep, type CreateInstanceInput } from '../contracts/instances.js';
import { hostTiming, type HostTiming } from './activity-options.js';
import { ProgressTracker } from './build-progress.js';
import { StepFailure, failureMessage } from './failures.js';
import { recordsOf } from './proxies.js';
import type { RecordsActivities } from '../contracts/activities.js';
import { Saga } from './saga.js';

/** One build as its phases share it: the input, host timeouts, live progress and the saga. */
export class Build {
  readonly instanceId: string;
  /** Pickup, step and heartbeat timeouts of host steps: the input's overrides or the defaults. */
  readonly timing: HostTiming;
  readonly progress: ProgressTracker;
  /** The build's undos; a host attempt that succeeds hands its own over. */
  readonly saga: Saga;
  /** The records of this execution (local activities from LOCAL_RECORDS_PATCH on), chosen once. */
  readonly record: RecordsActivities;

  constructor(readonly input: CreateInstanceInput) {
    this.record = recordsOf();
    this.instanceId = input.instanceId;
    this.timing = hostTiming(input);
    this.progress = new ProgressTracker(input.instanceId);
    this.saga = this.newSaga();
  }

  /** A saga whose undos are recorded in the instance's actions as they complete. */
  newSaga(): Saga {
    const { instanceId, progress, record } = this;
    return new Saga(progress, (name) =>
      record.recordStep({ instanceId, step: name, host: progress.state.host, phase: 'compensated' }),
    );
  }

  /** Runs one step with its action row, task state (contracts TASK_STATE_OF_STEP) and live progress. */
  async step<T>(name: BuildStep, host: string | null, run: () => Promise<T>): Promise<T> {
    const { instanceId, progress, record } = this;
    const taskState = TASK_STATE_OF_STEP[name];
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
}
