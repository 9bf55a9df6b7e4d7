import { ApplicationFailure, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { PowerActivities } from '../contracts/activities.js';
import { FaultCodes } from '../contracts/errors.js';
import type { PowerAction, PowerActionInput, PowerActionResult } from '../contracts/power.js';
import { powerStateOf } from '../contracts/power.js';
import { hostLocal, hostTiming } from './activity-options.js';
import { failureMessage, failureType } from './failures.js';
import { recordsOf } from './proxies.js';

/** How long each action may run on the host: a stop is a quit (then SIGKILL), a start or reboot a boot. */
const POWER_STEP_TIMEOUTS: Record<PowerAction, string> = {
  stop: '1 minute',
  start: '5 minutes',
  reboot: '5 minutes',
};

/**
 * Nova's os-stop, os-start and reboot: one step on the instance's host, then its outcome
 * recorded (status, power state, the action row). The API set the task state and checked
 * the transition before starting this; the id (power-<instance>) lets one run at a time.
 * A failed action leaves the status as it was and clears the task: the host's power-state
 * sync (core/compute/reconciler.ts) then records what really happened to the guest.
 */
export async function InstancePowerAction(input: PowerActionInput): Promise<PowerActionResult> {
  const { instanceId, host, action } = input;
  const record = recordsOf();
  const summary = `${action} instance ${instanceId} on ${host}`;
  const compute = proxyActivities<PowerActivities>({
    ...hostLocal(host, hostTiming(input), POWER_STEP_TIMEOUTS[action]),
    summary,
  });
  setCurrentDetails(summary);
  await record.recordStep({ instanceId, step: action, host, phase: 'start' });
  try {
    const step =
      action === 'stop'
        ? compute.powerOffDomain({ instanceId })
        : action === 'start'
          ? compute.powerOnDomain({ instanceId })
          : compute.rebootDomain({ instanceId });
    const { state } = await step;
    const result: PowerActionResult = {
      status: state === 'running' ? 'ACTIVE' : 'SHUTOFF',
      powerState: powerStateOf(state),
    };
    await record.recordPowerState({ instanceId, ...result });
    await record.recordStep({ instanceId, step: action, host, phase: 'succeeded' });
    setCurrentDetails(`${action}: ${result.status}`);
    return result;
  } catch (err) {
    const message = failureMessage(err);
    await record.recordStep({ instanceId, step: action, host, phase: 'failed', message });
    await record.recordTaskState({ instanceId, taskState: null });
    throw ApplicationFailure.nonRetryable(
      `${action} of instance ${instanceId} failed on ${host}: ${message}`,
      failureType(err) ?? FaultCodes.HostStepFailed,
    );
  }
}
