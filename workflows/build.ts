import { isCancellation, patched, setCurrentDetails } from '@temporalio/workflow';
import type { BatchableRecord, BatchedRecord, RecordsActivities, StepRecord } from '../contracts/activities.js';
import { TASK_STATE_OF_STEP, type BuildStep, type CreateInstanceInput } from '../contracts/instances.js';
import { hostTiming, type HostTiming } from './activity-options.js';
import { HOST_LEDGER_PATCH } from './patches.js';
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
   * Those write the records held back (below) before anything else, so rows keep their order.
   */
  readonly record: RecordsActivities;
  /** Local records only: whether a step's end waits to be written with the next record. */
  private readonly holdEnds: boolean;
  /**
   * From HOST_LEDGER_PATCH on: any record that cannot be refused goes in one local activity
   * with what is held (recordBatch), and a port's status waits for the next record too.
   */
  private readonly batches: boolean;
  /** Records not written yet (step ends; with batches, port statuses): they go with the next record. */
  private held: BatchedRecord[] = [];

  constructor(readonly input: CreateInstanceInput) {
    this.holdEnds = usesLocalRecords();
    this.batches = this.holdEnds && patched(HOST_LEDGER_PATCH);
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
      if (this.holdEnds) this.held.push({ name: 'recordStep', input: end });
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

  /** The records with the held ones written first: with a record, in the same call. */
  private writingHeldFirst(records: RecordsActivities): RecordsActivities {
    const steps = (batch: BatchedRecord[]) => batch.map((r) => r.input as StepRecord);
    /** Writes what is held, then `next`, in as few local activities as this execution may use. */
    const write = async (next: BatchedRecord[]): Promise<void> => {
      const all = [...this.held, ...next];
      if (all.length === 0) return;
      if (all.length === 1) {
        const [{ name, input }] = all;
        await (records[name] as (input: unknown) => Promise<void>)(input);
      } else if (this.batches) {
        await records.recordBatch({ records: all });
      } else {
        // Before batches, only step records were held or sent together.
        await records.recordSteps({ steps: steps(all) });
      }
      this.held = this.held.slice(all.length - next.length);
    };
    /** A record written after what is held: in the same call with batches, after it without. */
    const afterHeld =
      <K extends BatchableRecord>(name: K) =>
      async (input: Parameters<RecordsActivities[K]>[0]): Promise<void> => {
        const record = { name, input } as BatchedRecord;
        if (this.batches) return write([record]);
        await write([]);
        await write([record]);
      };
    /** A record that can be refused: its answer matters now, so it goes on its own. */
    const alone =
      <I>(send: (input: I) => Promise<void>) =>
      async (input: I): Promise<void> => {
        await write([]);
        await send(input);
      };
    return {
      recordStep: (input) => write([{ name: 'recordStep', input }]),
      recordSteps: ({ steps: batch }) => write(batch.map((input) => ({ name: 'recordStep', input }))),
      recordBatch: ({ records: batch }) => write(batch),
      recordTaskState: afterHeld('recordTaskState'),
      recordAttempt: afterHeld('recordAttempt'),
      recordActive: afterHeld('recordActive'),
      recordFault: afterHeld('recordFault'),
      recordDeleted: afterHeld('recordDeleted'),
      recordPowerState: afterHeld('recordPowerState'),
      // A port's status is read by nobody before the build ends: it waits for the next record.
      recordPortStatus: async (input) => {
        if (this.batches) this.held.push({ name: 'recordPortStatus', input });
        else await afterHeld('recordPortStatus')(input);
      },
      recordClaim: alone((input) => records.recordClaim(input)),
      recordVolumeAttached: alone((input) => records.recordVolumeAttached(input)),
      recordVolumeDetached: alone((input) => records.recordVolumeDetached(input)),
    };
  }
}
