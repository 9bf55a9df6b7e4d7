import { isCancellation, patched, setCurrentDetails } from '@temporalio/workflow';
import type {
  BatchableRecord,
  BatchedRecord,
  RecordsActivities,
  RefusableRecord,
  StepRecord,
} from '../contracts/activities.js';
import {
  TASK_STATE_OF_STEP,
  type BuildStep,
  type CreateInstanceInput,
  type TaskState,
} from '../contracts/instances.js';
import { hostTiming, type HostTiming } from './activity-options.js';
import { HELD_RECORDS_PATCH, HOST_LEDGER_PATCH, LOCAL_RECORDS_PATCH } from './patches.js';
import { ProgressTracker } from './build-progress.js';
import { StepFailure, failureMessage } from './failures.js';
import { recordsOf } from './proxies.js';
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
  /** The records proxy itself (local or not), for a record written past `record`'s holding. */
  readonly records: RecordsActivities;
  /** Local records only: whether a step's end waits to be written with the next record. */
  private readonly holdEnds: boolean;
  /**
   * From HOST_LEDGER_PATCH on: any record that cannot be refused goes in one local activity
   * with what is held (recordBatch), and a port's status waits for the next record too.
   */
  private readonly batches: boolean;
  /**
   * From HELD_RECORDS_PATCH on, only a record the user sees at once is written at once: a step
   * that moves the task state, a record the control plane may refuse (the claim, the
   * attachment: last in its batch) and the outcome. Everything else (a start that leaves the
   * task state as it is, the attempt) is held with its time and goes with the next write.
   * It is the newest change, asked before any other: such an execution has every older change
   * too and asks none of them (`has`). For each patch a new execution asks, core writes a marker
   * and an upsert of TemporalChangeVersion (a visibility update on the server): one, not five.
   */
  private readonly holdMore: boolean;
  /** The task state last written ('scheduling': the API admitted the build so). */
  private writtenTaskState: TaskState | null = 'scheduling';
  /** Records not written yet (step ends; with batches, port statuses): they go with the next record. */
  private held: BatchedRecord[] = [];

  constructor(readonly input: CreateInstanceInput) {
    this.holdMore = patched(HELD_RECORDS_PATCH);
    this.holdEnds = this.has(LOCAL_RECORDS_PATCH);
    this.batches = this.holdEnds && this.has(HOST_LEDGER_PATCH);
    this.records = recordsOf(this.holdEnds);
    this.record = this.holdEnds ? this.writingHeldFirst(this.records) : this.records;
    this.instanceId = input.instanceId;
    this.timing = hostTiming(input);
    this.progress = new ProgressTracker(input.instanceId);
    this.saga = this.newSaga();
  }

  /**
   * Whether this execution takes an older change (a patch id of workflows/patches.ts): every
   * one from HELD_RECORDS_PATCH on; before it, as its history says, asked where it always was.
   */
  has(patch: string): boolean {
    return this.holdMore || patched(patch);
  }

  /** A saga whose undos are recorded in the instance's actions as they complete. */
  newSaga(): Saga {
    const { instanceId, progress, record } = this;
    return new Saga(progress, (name) =>
      record.recordStep({ instanceId, step: name, host: progress.state.host, phase: 'compensated', ...this.now() }),
    );
  }

  /**
   * Runs one step with its action row, task state (contracts TASK_STATE_OF_STEP) and live progress.
   * A control-plane step that `carries` records (CarriedRecords) gets what is held and its own
   * start to write itself, from HELD_RECORDS_PATCH on; `run` passes them on as `records`.
   */
  async step<T>(
    name: BuildStep,
    host: string | null,
    run: (carried: { records?: BatchedRecord[] }) => Promise<T>,
    carries = false,
  ): Promise<T> {
    const { instanceId, progress, record } = this;
    const taskState = TASK_STATE_OF_STEP[name];
    progress.stepStarted(name, host);
    if (taskState) progress.taskState(taskState);
    setCurrentDetails(`${name}${host ? ` on ${host}` : ''}`);
    const start: StepRecord = { instanceId, step: name, host, phase: 'start', ...this.now() };
    let carried: { records?: BatchedRecord[] } = {};
    if (this.holdMore && carries) {
      carried = { records: [...this.held, { name: 'recordStep', input: { ...start, taskState } }] };
      this.held = [];
      if (taskState !== undefined) this.writtenTaskState = taskState;
    } else if (this.holdMore && (taskState === undefined || taskState === this.writtenTaskState)) {
      this.held.push({ name: 'recordStep', input: start });
    } else {
      await record.recordStep({ ...start, taskState });
    }
    try {
      const result = await run(carried);
      progress.stepEnded(name, 'succeeded');
      const end: StepRecord = { instanceId, step: name, host, phase: 'succeeded', ...this.now() };
      if (this.holdEnds) this.held.push({ name: 'recordStep', input: end });
      else await record.recordStep(end);
      return result;
    } catch (err) {
      progress.stepEnded(name, 'failed');
      // The step may have failed, or been cancelled, before it wrote what it carried: held again,
      // they go with the next write (with their times, written twice they make no second row).
      if (carried.records) this.held = [...carried.records, ...this.held];
      if (!isCancellation(err)) {
        const message = failureMessage(err);
        await record.recordStep({ instanceId, step: name, host, phase: 'failed', message, ...this.now() });
      }
      throw new StepFailure(name, host, err);
    }
  }

  /** From HELD_RECORDS_PATCH on, writes what is held (before a record that does not go through `record`). */
  async flush(): Promise<void> {
    if (this.holdMore) await this.record.recordBatch({ records: [] });
  }

  /** The workflow's time for a record that may be held (HELD_RECORDS_PATCH on); nothing before it. */
  private now(): { at?: string } {
    return this.holdMore ? { at: new Date().toISOString() } : {};
  }

  /** The records with the held ones written first: with a record, in the same call. */
  private writingHeldFirst(records: RecordsActivities): RecordsActivities {
    const steps = (batch: BatchedRecord[]) => batch.map((r) => r.input as StepRecord);
    /** Writes what is held, then `next`, in as few local activities as this execution may use. */
    const write = async (next: BatchedRecord[]): Promise<void> => {
      const taken = this.held;
      const all = [...taken, ...next];
      if (all.length === 0) return;
      this.held = [];
      try {
        if (all.length === 1) {
          const [{ name, input }] = all;
          await (records[name] as (input: unknown) => Promise<void>)(input);
        } else if (this.batches) {
          await records.recordBatch({ records: all });
        } else {
          // Before batches, only step records were held or sent together.
          await records.recordSteps({ steps: steps(all) });
        }
      } catch (err) {
        // From HELD_RECORDS_PATCH on, a refusal comes from the last record, after the held
        // ones were written: writing them again would open a second row. Before, kept held.
        if (!this.holdMore) this.held = [...taken, ...this.held];
        throw err;
      }
      for (const r of all) {
        if (r.name === 'recordStep' && r.input.taskState !== undefined) this.writtenTaskState = r.input.taskState;
      }
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
    /**
     * A record that can be refused: its answer matters now. It goes last in the call that
     * writes what is held (HELD_RECORDS_PATCH), on its own before.
     */
    const refusable =
      <K extends RefusableRecord>(name: K) =>
      async (input: Parameters<RecordsActivities[K]>[0]): Promise<void> => {
        if (this.holdMore) return write([{ name, input } as BatchedRecord]);
        await write([]);
        await (records[name] as (input: unknown) => Promise<void>)(input);
      };
    /** A record nobody reads before the next write: held when `holdIt`, written after what is held otherwise. */
    const held =
      <K extends 'recordPortStatus' | 'recordAttempt'>(name: K, holdIt: boolean) =>
      async (input: Parameters<RecordsActivities[K]>[0]): Promise<void> => {
        if (holdIt) this.held.push({ name, input } as BatchedRecord);
        else await afterHeld(name)(input);
      };
    return {
      recordStep: (input) => write([{ name: 'recordStep', input }]),
      recordSteps: ({ steps: batch }) => write(batch.map((input) => ({ name: 'recordStep', input }))),
      recordBatch: ({ records: batch }) => write(batch),
      recordTaskState: afterHeld('recordTaskState'),
      // The attempt waits from HELD_RECORDS_PATCH on; a port's status, read by nobody before the
      // build ends, from HOST_LEDGER_PATCH (batches) on.
      recordAttempt: held('recordAttempt', this.holdMore),
      recordActive: afterHeld('recordActive'),
      recordFault: afterHeld('recordFault'),
      recordDeleted: afterHeld('recordDeleted'),
      recordPowerState: afterHeld('recordPowerState'),
      recordPortStatus: held('recordPortStatus', this.batches),
      recordClaim: refusable('recordClaim'),
      recordVolumeAttached: refusable('recordVolumeAttached'),
      recordVolumeDetached: refusable('recordVolumeDetached'),
    };
  }
}
