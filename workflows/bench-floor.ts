import { proxyActivities } from '@temporalio/workflow';
import type { NoopActivities } from '../contracts/activities.js';

export interface BenchFloorInput {
  /** The task queue of each activity, in the order a real build runs them (see bench/floor.ts). */
  queues: string[];
}

/**
 * The benchmark's floor: a bare workflow that runs one no-op activity per entry of
 * `queues`, one after the other as the CreateInstance saga does. Started by the benchmark
 * only (workflow id `bench-floor-…`); nothing in Nimbus depends on it.
 */
export async function BenchFloor({ queues }: BenchFloorInput): Promise<number> {
  const proxies = new Map<string, NoopActivities>();
  for (const taskQueue of queues) {
    let proxy = proxies.get(taskQueue);
    if (!proxy) {
      proxy = proxyActivities<NoopActivities>({
        taskQueue,
        startToCloseTimeout: '30 seconds',
        retry: { maximumAttempts: 3 },
      });
      proxies.set(taskQueue, proxy);
    }
    await proxy.noop();
  }
  return queues.length;
}
