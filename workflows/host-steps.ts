import { proxyActivities } from '@temporalio/workflow';
import type { ComputeActivities } from '../contracts/activities.js';
import { CLAIM_LIMITS, hostLocal, type HostStepLimits, type HostTiming } from './activity-options.js';

type Timeouts = { startToClose: string; heartbeat?: string; limits?: HostStepLimits };

/**
 * How long each step of a build on its host may run (start-to-close), and how long it may
 * go without a heartbeat where that differs from the default. NIMBUS_HOST_STEP_TIMEOUT and
 * NIMBUS_HOST_HEARTBEAT_TIMEOUT override them all (tests make hangs end in seconds), within
 * a step's own limits.
 */
export const HOST_STEP_TIMEOUTS = {
  /**
   * A conditional update of the host's usage: quick, or the host is in trouble. One attempt,
   * and a host that misses its first heartbeat is passed over at once (CLAIM_LIMITS).
   */
  claimResources: { startToClose: '30 seconds', limits: CLAIM_LIMITS },
  /** Images can be large; the pull reports progress every 2 s, so 30 s of silence is a dead agent. */
  pullImage: { startToClose: '10 minutes', heartbeat: '30 seconds' },
  /** Booting a domain, the slowest thing a hypervisor does for a build. */
  spawnDomain: { startToClose: '5 minutes' },
  plugVif: { startToClose: '1 minute' },
  attachVolume: { startToClose: '1 minute' },
} as const satisfies { [K in keyof ComputeActivities]?: Timeouts };

export type HostStep = keyof typeof HOST_STEP_TIMEOUTS;

/**
 * The build's steps on one host: `run(step, summary, input)` sends the step to the host's
 * queue with its timeouts from the table and a summary, so the event history in the
 * Temporal UI reads like the lifecycle.
 */
export function onHost(host: string, timing: HostTiming) {
  return function run<K extends HostStep>(
    step: K,
    summary: string,
    input: Parameters<ComputeActivities[K]>[0],
  ): ReturnType<ComputeActivities[K]> {
    const { startToClose, heartbeat, limits }: Timeouts = HOST_STEP_TIMEOUTS[step];
    const options = { ...hostLocal(host, timing, startToClose, heartbeat, limits), summary };
    const compute = proxyActivities<ComputeActivities>(options);
    // TypeScript cannot tie a generic key to its own function type: the signature above does.
    const activity = compute[step] as unknown as (arg: typeof input) => ReturnType<ComputeActivities[K]>;
    return activity(input);
  };
}
