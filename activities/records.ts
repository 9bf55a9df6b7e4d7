import type { RecordsActivities } from '../contracts/activities.js';
import type { InstanceRecords } from '../core/instances/instance-records.js';

/** Writes the workflow's progress to Postgres, which the API answers from. */
export function createRecordsActivities(deps: { records: InstanceRecords }): RecordsActivities {
  const { records } = deps;
  return {
    async recordStep(input) {
      await records.recordStep(input);
    },
    async recordSteps({ steps }) {
      // In order: each is idempotent, so a retried batch rewrites nothing already written.
      for (const step of steps) await records.recordStep(step);
    },
    async recordTaskState({ instanceId, ...update }) {
      await records.setTaskState(instanceId, update);
    },
    async recordAttempt({ instanceId, attemptNo, attempt }) {
      await records.recordAttempt(instanceId, attemptNo, attempt);
      // The instance shows the host it is being built on; a failed attempt clears it.
      await records.setHost(instanceId, attempt.outcome === 'claimed' ? attempt.host : null);
    },
    async recordActive({ instanceId, host }) {
      await records.markActive(instanceId, host);
    },
    async recordFault({ instanceId, fault }) {
      await records.recordFault(instanceId, fault);
    },
    async recordDeleted({ instanceId }) {
      await records.markDeleted(instanceId);
    },
    async recordPowerState({ instanceId, status, powerState }) {
      await records.setPowerState(instanceId, status, powerState);
    },
  };
}
