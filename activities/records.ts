import type { BatchedRecord, RecordsActivities } from '../contracts/activities.js';
import type { InstanceRecords } from '../core/instances/instance-records.js';
import type { PortAllocator } from '../core/network/port-allocator.js';
import type { ClaimService } from '../core/scheduling/claims.js';
import type { VolumeService } from '../core/storage/volume-service.js';
import { classified } from './failures.js';

export interface RecordsDeps {
  records: InstanceRecords;
  /** What hosts did, recorded for them: compute agents never write the database. */
  claims: ClaimService;
  ports: PortAllocator;
  volumes: VolumeService;
}

/** Writes the workflow's progress, and what the hosts did, to Postgres, which the API answers from. */
export function createRecordsActivities(deps: RecordsDeps): RecordsActivities {
  const { records } = deps;
  const activities: RecordsActivities = {
    async recordStep(input) {
      await records.recordStep(input);
    },
    async recordSteps({ steps }) {
      // In order: each is idempotent, so a retried batch rewrites nothing already written.
      for (const step of steps) await records.recordStep(step);
    },
    async recordBatch({ records: batch }) {
      // In order, as recordSteps: each record is idempotent, so a retried batch is harmless.
      for (const { name, input } of batch) await (activities[name] as (input: unknown) => Promise<void>)(input);
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
    async recordClaim({ instanceId, host, flavor, attemptNo }) {
      // A refusal is permanent (the build moves to another host); a database error is retried.
      await classified(() => deps.claims.claim(instanceId, host, flavor, attemptNo));
    },
    async recordPortStatus({ instanceId, status }) {
      await deps.ports.setStatus(instanceId, status);
    },
    async recordVolumeAttached(input) {
      await classified(() => deps.volumes.markAttached(input));
    },
    async recordVolumeDetached({ volumeId, instanceId }) {
      await classified(() => deps.volumes.markDetached(volumeId, instanceId));
    },
  };
  return activities;
}

/** Writes the records a control-plane step carries (CarriedRecords) before the step's own work. */
export type CarriedRecordsWriter = (records: BatchedRecord[] | undefined) => Promise<void>;

export function carriedRecordsWriter(records: Pick<RecordsActivities, 'recordBatch'>): CarriedRecordsWriter {
  return async (batch) => {
    if (batch && batch.length > 0) await records.recordBatch({ records: batch });
  };
}
