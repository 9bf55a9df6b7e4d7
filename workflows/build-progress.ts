import { defineQuery, setHandler } from '@temporalio/workflow';
import type {
  Attempt,
  BuildProgress,
  BuildStep,
  CompensationRun,
  Fault,
  InstanceStatus,
  TaskState,
} from '../contracts/instances.js';
import { STATUS_QUERY } from '../contracts/instances.js';

export const statusQuery = defineQuery<BuildProgress>(STATUS_QUERY);

const now = () => new Date().toISOString(); // Workflow time: deterministic inside the sandbox.

/** The live progress the `status` query answers: steps with timing, attempts, undos, fault. */
export class ProgressTracker {
  readonly state: BuildProgress;

  constructor(instanceId: string) {
    this.state = {
      instanceId,
      status: 'BUILD',
      taskState: null,
      host: null,
      steps: [],
      attempts: [],
      compensations: [],
      fault: null,
    };
    setHandler(statusQuery, () => this.state);
  }

  taskState(taskState: TaskState | null): void {
    this.state.taskState = taskState;
  }

  stepStarted(step: BuildStep, host: string | null): void {
    this.state.steps.push({ step, host, startedAt: now(), finishedAt: null, outcome: 'running' });
  }

  stepEnded(step: BuildStep, outcome: 'succeeded' | 'failed'): void {
    const open = [...this.state.steps].reverse().find((s) => s.step === step && s.outcome === 'running');
    if (open) Object.assign(open, { finishedAt: now(), outcome });
  }

  attempt(attemptNo: number, attempt: Attempt): void {
    this.state.attempts[attemptNo - 1] = attempt;
  }

  compensation(run: CompensationRun): void {
    this.state.compensations.push(run);
  }

  /** The undos that failed for good, each with its error: what the build leaves held. */
  leftovers(): Array<{ name: string; error: string }> {
    return this.state.compensations
      .filter((c) => c.outcome === 'failed')
      .map((c) => ({ name: c.name, error: c.error ?? 'unknown error' }));
  }

  host(host: string | null): void {
    this.state.host = host;
  }

  ended(status: InstanceStatus, fault: Fault | null = null): void {
    Object.assign(this.state, { status, taskState: null, fault });
  }
}
