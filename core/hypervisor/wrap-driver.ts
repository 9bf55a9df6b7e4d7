import type { HypervisorDriver, OperationOptions } from './driver.js';
import type { InjectionStep } from './failure-injector.js';

/**
 * Runs a driver's step; `around` may wait before it (a lock, an injected fault), skip it
 * (by throwing) or time it. It must call `run` at most once.
 */
export type AroundStep = <T>(
  step: InjectionStep,
  instanceId: string,
  opts: OperationOptions | undefined,
  run: () => Promise<T>,
) => Promise<T>;

/**
 * The same driver with `around` wrapped about each of its changes to one instance, named by
 * their step (the names fault injection uses). Reads and host set-up pass straight through.
 * What the wrappers every driver gets (locked.ts, with-faults.ts) are built from.
 */
export function wrapDriver(driver: HypervisorDriver, around: AroundStep): HypervisorDriver {
  return {
    initHost: () => driver.initHost(),
    getHostResources: () => driver.getHostResources(),
    spawn: (spec, opts) => around('spawn', spec.instanceId, opts, () => driver.spawn(spec, opts)),
    destroy: (id, opts) => around('destroy', id, opts, () => driver.destroy(id, opts)),
    plugVif: (id, vif, opts) => around('plug_vif', id, opts, () => driver.plugVif(id, vif, opts)),
    unplugVif: (id, portId, opts) => around('unplug_vif', id, opts, () => driver.unplugVif(id, portId, opts)),
    attachVolume: (id, vol, opts) => around('attach_volume', id, opts, () => driver.attachVolume(id, vol, opts)),
    detachVolume: (id, volumeId, opts) =>
      around('detach_volume', id, opts, () => driver.detachVolume(id, volumeId, opts)),
    powerOff: (id, opts) => around('power_off', id, opts, () => driver.powerOff(id, opts)),
    powerOn: (id, opts) => around('power_on', id, opts, () => driver.powerOn(id, opts)),
    reboot: (id, opts) => around('reboot', id, opts, () => driver.reboot(id, opts)),
    listDomains: () => driver.listDomains(),
    getDomain: (id) => driver.getDomain(id),
    getConsoleOutput: (id, lines) => driver.getConsoleOutput(id, lines),
  };
}
