import type { HypervisorDriver } from './driver.js';
import { KeyedMutex } from './keyed-mutex.js';
import { wrapDriver } from './wrap-driver.js';

/**
 * Per-instance locking around any driver, as Nova's `@utils.synchronized(instance.uuid)`:
 * the changes to one instance (spawn, plug, attach, their undos) never interleave, so a
 * driver may read, change and write an instance's state without a lock of its own.
 * Changes to different instances run side by side; reads are not locked. A change still
 * waiting for the lock gives up when its signal aborts.
 */
export function locked(driver: HypervisorDriver): HypervisorDriver {
  const mutex = new KeyedMutex();
  return wrapDriver(driver, (_step, instanceId, opts, run) => mutex.run(instanceId, run, opts?.signal));
}
