import { condition, continueAsNew, defineSignal, log, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  HOST_HEARTBEAT_SIGNAL,
  type HostHeartbeat,
  type HostHeartbeatSignal,
  type HostHeartbeatsInput,
} from '../contracts/host-sync.js';
import { hostHeartbeats } from './proxies.js';

export const heartbeatSignal = defineSignal<[HostHeartbeatSignal]>(HOST_HEARTBEAT_SIGNAL);

/** About 40 minutes of one agent's heartbeats at 5 s: a history of a few thousand events. */
const SIGNALS_PER_RUN = 500;
/**
 * A run that hears nothing for this long ends, so a host taken out of service leaves no
 * workflow open; the agent's next heartbeat (signal-with-start) begins a new one.
 */
const IDLE_CLOSE = '1 hour';

/**
 * One compute agent's heartbeats (the simulated fleet's: all its hosts'), each a signal,
 * recorded by a local activity of the controller: the agents never reach the database.
 * Signals that queued up while no controller ran are recorded once, with each host's latest
 * send time, which is what dates its liveness (a late heartbeat never makes a dead host look
 * alive). After a bounded number of signals the run continues as new, handing over what it
 * has not recorded yet.
 */
export async function HostHeartbeats(input: HostHeartbeatsInput = {}): Promise<void> {
  const latest = new Map<string, number>();
  const add = ({ host, sentAt }: HostHeartbeat) => latest.set(host, Math.max(latest.get(host) ?? 0, sentAt));
  const drain = (): HostHeartbeat[] => {
    const beats = [...latest].map(([host, sentAt]) => ({ host, sentAt }));
    latest.clear();
    return beats;
  };
  (input.pending ?? []).forEach(add);
  let signals = 0;
  setHandler(heartbeatSignal, ({ hosts, sentAt }) => {
    signals++;
    for (const host of hosts) add({ host, sentAt });
  });
  while (signals < (input.signalsPerRun ?? SIGNALS_PER_RUN) && !workflowInfo().continueAsNewSuggested) {
    if (!(await condition(() => latest.size > 0, IDLE_CLOSE))) return;
    const beats = drain();
    try {
      await hostHeartbeats.recordHeartbeats({ beats });
    } catch (err) {
      // Dropped, not retried for long: the next heartbeats are seconds away.
      log.warn('heartbeats not recorded', { hosts: beats.length, error: String(err) });
    }
  }
  await continueAsNew<typeof HostHeartbeats>({ ...input, pending: drain() });
}
