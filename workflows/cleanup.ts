import { ApplicationFailure, log, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { FaultCodes } from '../contracts/errors.js';
import type { Fault } from '../contracts/instances.js';
import { InstanceStatusKey } from '../contracts/search-attributes.js';
import type { RecordsActivities } from '../contracts/activities.js';
import { recordsOf } from './proxies.js';

/** An undo (or a delete's step) that failed for good, with its error. */
export interface Leftover {
  name: string;
  error: string;
}

/**
 * The fault of an instance whose cleanup could not finish: CleanupIncomplete, naming each
 * undo that failed (what it would have released is still held) and what the cleanup was
 * for: a failed build's own fault, or a delete. The cleanup repair (apps/controller)
 * finishes it later and marks the instance DELETED.
 */
export function cleanupIncompleteFault(leftovers: Leftover[], after: Fault | 'delete', host: string | null): Fault {
  const left = leftovers.map((l) => `${l.name} (${l.error})`).join('; ');
  const why = after === 'delete' ? 'the delete' : `the build failed with ${after.code}: ${after.message}`;
  return {
    code: FaultCodes.CleanupIncomplete,
    message: `cleanup incomplete after ${why}; left: ${left}`,
    step: after === 'delete' ? null : after.step,
    host: after === 'delete' ? host : after.host,
  };
}

/**
 * Records the instance ERROR with its CleanupIncomplete fault, keeps the search attribute
 * current, and returns the failure the workflow ends with.
 */
export async function recordCleanupIncomplete(
  instanceId: string,
  fault: Fault,
  records: RecordsActivities = recordsOf(),
): Promise<ApplicationFailure> {
  log.error('cleanup incomplete; the cleanup repair will finish it', { instanceId, message: fault.message });
  await records.recordFault({ instanceId, fault });
  // A delete started without the attribute (older API) has none to keep current.
  if (workflowInfo().typedSearchAttributes.get(InstanceStatusKey) !== undefined) {
    upsertSearchAttributes([{ key: InstanceStatusKey, value: 'ERROR' }]);
  }
  setCurrentDetails(`ERROR: ${fault.code}`);
  return ApplicationFailure.nonRetryable(fault.message, fault.code, fault);
}
