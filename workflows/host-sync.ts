import type { HostSyncInput, HostSyncResult } from '../contracts/host-sync.js';
import { hostSync } from './proxies.js';

/**
 * A compute agent's question to the control plane, at its start (with its capacity: the host
 * registers) and at each periodic reconciliation: these are my domains, what should I have?
 * The agent never reads the database; the scheduler queue's activity answers from it. While
 * no controller serves the queues, the question simply waits (the agent waits with it).
 */
export async function HostSync(input: HostSyncInput): Promise<HostSyncResult> {
  return hostSync.syncHosts(input);
}
