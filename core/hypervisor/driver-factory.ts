import { DriverCodes } from '../../contracts/errors.js';
import { DomainError } from '../errors.js';
import type { HostResources, HypervisorDriver, HypervisorType } from './driver.js';
import { HYPERVISOR_TYPES } from './driver.js';
import { FakeDriver } from './fake-driver.js';
import { NoInjections, type FailureInjector } from './failure-injector.js';
import { locked } from './locked.js';
import { QemuDriver, type QemuDriverOptions } from './qemu/qemu-driver.js';
import type { SpawnGate } from './spawn-gate.js';
import { withInjections } from './with-injections.js';
import { wrapDriver } from './wrap-driver.js';

export interface HypervisorOptions {
  /** NIMBUS_HYPERVISOR (validated by core/config.ts). */
  type: HypervisorType | string;
  /** The node's state directory (core/config.ts `nodeDir`). */
  nodeDir: string;
  /** The fake's time per operation (NIMBUS_HYPERVISOR_DELAY_MS). */
  delayMs?: number;
  /** The fake host's capacity; unset fields take the seeds' values. */
  fakeResources?: Partial<Omit<HostResources, 'hypervisorType'>>;
  faults?: FailureInjector;
  /** NIMBUS_MAX_CONCURRENT_BUILDS: spawns beyond its limit wait for a turn (spawn-gate.ts). */
  spawnGate?: SpawnGate;
  /** The QEMU driver's settings besides the node dir (qemu/qemu-driver.ts). */
  qemu?: Omit<QemuDriverOptions, 'nodeDir'>;
}

/** NIMBUS_HYPERVISOR named a driver this build does not have. */
export const UnknownHypervisor = DriverCodes.UnknownHypervisor;

/**
 * The hypervisor driver a compute agent uses, chosen by configuration (Nova's
 * `compute_driver`), with what every driver gets around it:
 *
 *   withInjections(locked(gated(driver)))
 *
 * Faults outside, lock inside: an injected hang waits before taking the instance's lock,
 * so it blocks nothing but itself and ends when the activity's signal aborts; an injected
 * crash ends the process before the step touched anything; and a step that does run has
 * the instance to itself. The spawn gate is innermost: only a spawn that holds its
 * instance's lock queues for a boot slot, and a queued spawn blocks no other instance.
 */
export function createHypervisorDriver(opts: HypervisorOptions): HypervisorDriver {
  const base = baseDriver(opts);
  const gate = opts.spawnGate;
  const gated = gate
    ? wrapDriver(base, (step, _id, stepOpts, run) => (step === 'spawn' ? gate.run(run, stepOpts?.signal) : run()))
    : base;
  return withInjections(locked(gated), opts.faults ?? NoInjections);
}

function baseDriver(opts: HypervisorOptions): HypervisorDriver {
  switch (opts.type) {
    case 'fake':
      return new FakeDriver({ nodeDir: opts.nodeDir, delayMs: opts.delayMs, resources: opts.fakeResources });
    case 'qemu':
      return new QemuDriver({ ...opts.qemu, nodeDir: opts.nodeDir });
    default:
      throw new DomainError(
        UnknownHypervisor,
        `hypervisor ${JSON.stringify(opts.type)} is not one of ${HYPERVISOR_TYPES.join(', ')}`,
      );
  }
}
