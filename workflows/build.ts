import { isCancellation, setCurrentDetails } from '@temporalio/workflow';
import type { RecordsActivities, StepRecord } from '../contracts/activities.js';
import { TASK_STATE_OF_STEP, type BuildStep, type CreateInstanceInput } from '../contracts/instances.js';
import { hostTiming, type HostTiming } from './activity-options.js';
import { ProgressTracker } from './build-progress.js';
import { StepFailure, failureMessage } from './failures.js';
import { recordsOf, usesLocalRecords } from './proxies.js';
import { Saga } from './saga.js';

/** One build as its phases share it: the input, host timeouts, live progress and the saga. */
export class Build {
  readonly instanceId: string;
  /** Pickup, step and heartbeat timeouts of host steps: the input's overrides or the defaults. */
  readonly timing: HostTiming;
  readonly progress: ProgressTracker;
  /** The build's undos; a host attempt that succeeds hands its own over. */
  readonly saga: Saga;
  /**
   * The records of this execution, chosen once: local activities from LOCAL_RECORDS_PATCH on.
   * Those write the step ends held back (below) before anything else, so rows keep their order.
   */
  readonly record: RecordsActivities;
  /** Local records only: whether a step's end waits to be written with the next record. */
  private readonly holdEnds: boolean;
  /** Step ends not written yet: they go with the next record, one local activity for both. */
  private held: StepRecord[] = [];

  constructor(readonly input: CreateInstanceInput) {
    this.holdEnds = usesLocalRecords();
    this.record = this.holdEnds ? this.writingHeldFirst(recordsOf()) : recordsOf();
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
      const end: StepRecord = { instanceId, step: name, host, phase: 'succeeded' };
      if (this.holdEnds) this.held.push(end);
      else await record.recordStep(end);
      return result;
    } catch (err) {
      progress.stepEnded(name, 'failed');
      if (!isCancellation(err)) {
        await record.recordStep({ instanceId, step: name, host, phase: 'failed', message: failureMessage(err) });
      }
      throw new StepFailure(name, host, err);
    }
  }

  /** The records with the held step ends written first: with a step record, in the same call. */
  private writingHeldFirst(records: RecordsActivities): RecordsActivities {
    const writeSteps = async (steps: StepRecord[]): Promise<void> => {
      const all = [...this.held, ...steps];
      if (all.length === 0) return;
      await (all.length === 1 ? records.recordStep(all[0]) : records.recordSteps({ steps: all }));
      this.held = this.held.slice(all.length - steps.length);
    };
    const afterHeld =
      <I>(write: (input: I) => Promise<void>) =>
      async (input: I): Promise<void> => {
        await writeSteps([]);
        await write(input);
      };
    return {
      recordStep: (input) => writeSteps([input]),
      recordSteps: ({ steps }) => writeSteps(steps),
      recordTaskState: afterHeld((input) => records.recordTaskState(input)),
      recordAttempt: afterHeld((input) => records.recordAttempt(input)),
      recordActive: afterHeld((input) => records.recordActive(input)),
      recordFault: afterHeld((input) => records.recordFault(input)),
      recordDeleted: afterHeld((input) => records.recordDeleted(input)),
      recordPowerState: afterHeld((input) => records.recordPowerState(input)),
      recordClaim: afterHeld((input) => records.recordClaim(input)),
      recordPortStatus: afterHeld((input) => records.recordPortStatus(input)),
      recordVolumeAttached: afterHeld((input) => records.recordVolumeAttached(input)),
      recordVolumeDetached: afterHeld((input) => records.recordVolumeDetached(input)),
    };
  }
}
