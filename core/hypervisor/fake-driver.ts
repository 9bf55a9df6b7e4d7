import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAtomicTempFile, writeJsonAtomic } from '../images/atomic-write.js';
import { bridgeName, firstFreeVolumeDevice, tapDeviceName, validateSegmentation } from './device-names.js';
import type {
  Domain,
  DomainSpec,
  HypervisorDriver,
  OperationOptions,
  PluggedVif,
  VifSpec,
  VolumeAttachSpec,
} from './driver.js';
import { DomainConflictError, DomainNotFoundError, ImageNotCachedError } from './errors.js';
import { NoFaults, type FaultInjector, type FaultStep } from './fault-injector.js';

export interface FakeDriverOptions {
  /** The node's state directory (core/config.ts `nodeDir`); domains live in `domains/`. */
  nodeDir: string;
  /** Time every mutating operation takes, so progress is visible (NIMBUS_HYPERVISOR_DELAY_MS). */
  delayMs?: number;
  faults?: FaultInjector;
  now?: () => Date;
}

/** Instance ids become file names: refuse anything that could leave the directory. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * A hypervisor that boots nothing but keeps each domain as a JSON file on the node's
 * disk, so its state survives an agent restart exactly as libvirt's would and the
 * reconciler has something real to compare against Postgres.
 */
export class FakeDriver implements HypervisorDriver {
  readonly domainsDir: string;
  private readonly delayMs: number;
  private readonly faults: FaultInjector;
  private readonly now: () => Date;
  /** Per-instance queue: read-modify-write of one domain file never interleaves. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(opts: FakeDriverOptions) {
    this.domainsDir = path.join(opts.nodeDir, 'domains');
    this.delayMs = opts.delayMs ?? 0;
    if (!Number.isFinite(this.delayMs) || this.delayMs < 0) throw new RangeError(`bad delayMs ${opts.delayMs}`);
    this.faults = opts.faults ?? NoFaults;
    this.now = opts.now ?? (() => new Date());
  }

  spawn(spec: DomainSpec, opts: OperationOptions = {}): Promise<Domain> {
    return this.operation('spawn', spec.instanceId, opts, async () => {
      const existing = await this.read(spec.instanceId);
      if (existing) {
        const differs = differingField(existing, spec);
        if (differs) throw new DomainConflictError(spec.instanceId, differs);
        if (existing.state === 'running') return existing;
        return this.write({ ...existing, state: 'running' });
      }
      try {
        if (!(await stat(spec.imagePath)).isFile()) throw new ImageNotCachedError(spec.imagePath);
      } catch (err) {
        if (err instanceof ImageNotCachedError) throw err;
        throw new ImageNotCachedError(spec.imagePath);
      }
      const at = this.now().toISOString();
      return this.write({ ...pickSpec(spec), state: 'running', vifs: [], volumes: [], createdAt: at, updatedAt: at });
    });
  }

  destroy(instanceId: string, opts: OperationOptions = {}): Promise<void> {
    return this.operation('destroy', instanceId, opts, async () => {
      await rm(this.file(instanceId), { force: true });
    });
  }

  plugVif(instanceId: string, vif: VifSpec, opts: OperationOptions = {}): Promise<PluggedVif> {
    validateSegmentation(vif.segmentation);
    return this.operation('plug_vif', instanceId, opts, async () => {
      const domain = await this.mustRead(instanceId);
      const plugged = domain.vifs.find((v) => v.portId === vif.portId);
      if (plugged) return plugged;
      const added: PluggedVif = {
        portId: vif.portId,
        mac: vif.mac,
        ip: vif.ip,
        networkId: vif.networkId,
        segmentation: { type: vif.segmentation.type, id: vif.segmentation.id },
        tapDevice: tapDeviceName(vif.portId),
        bridge: bridgeName(vif.segmentation),
      };
      await this.write({ ...domain, vifs: [...domain.vifs, added] });
      return added;
    });
  }

  unplugVif(instanceId: string, portId?: string, opts: OperationOptions = {}): Promise<void> {
    return this.operation('unplug_vif', instanceId, opts, async () => {
      const domain = await this.read(instanceId);
      if (!domain) return;
      const vifs = portId === undefined ? [] : domain.vifs.filter((v) => v.portId !== portId);
      if (vifs.length !== domain.vifs.length) await this.write({ ...domain, vifs });
    });
  }

  attachVolume(instanceId: string, vol: VolumeAttachSpec, opts: OperationOptions = {}): Promise<{ device: string }> {
    return this.operation('attach_volume', instanceId, opts, async () => {
      const domain = await this.mustRead(instanceId);
      const attached = domain.volumes.find((v) => v.volumeId === vol.volumeId);
      if (attached) return { device: attached.device };
      const device = firstFreeVolumeDevice(domain.volumes.map((v) => v.device));
      const volume = { volumeId: vol.volumeId, connection: { ...vol.connection }, device };
      await this.write({ ...domain, volumes: [...domain.volumes, volume] });
      return { device };
    });
  }

  detachVolume(instanceId: string, volumeId: string, opts: OperationOptions = {}): Promise<void> {
    return this.operation('detach_volume', instanceId, opts, async () => {
      const domain = await this.read(instanceId);
      if (!domain) return;
      const volumes = domain.volumes.filter((v) => v.volumeId !== volumeId);
      if (volumes.length !== domain.volumes.length) await this.write({ ...domain, volumes });
    });
  }

  async listDomains(): Promise<Domain[]> {
    let names: string[];
    try {
      names = await readdir(this.domainsDir);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const domains: Domain[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith('.json') || isAtomicTempFile(name)) continue;
      const domain = await this.read(name.slice(0, -'.json'.length));
      if (domain) domains.push(domain);
    }
    return domains;
  }

  getDomain(instanceId: string): Promise<Domain | null> {
    return this.read(instanceId);
  }

  /** Fault hook, then the configured delay, then the change under the instance's lock. */
  private async operation<T>(step: FaultStep, instanceId: string, opts: OperationOptions, fn: () => Promise<T>): Promise<T> {
    this.file(instanceId); // validates the id before any fault or delay
    await this.faults.before(step, { instanceId, signal: opts.signal });
    if (this.delayMs > 0) {
      // Rethrow the caller's reason (as a hang does) rather than a generic AbortError.
      await sleep(this.delayMs, undefined, { signal: opts.signal }).catch((err) => {
        throw opts.signal?.aborted ? opts.signal.reason : err;
      });
    }
    opts.signal?.throwIfAborted();
    return this.locked(instanceId, fn);
  }

  private locked<T>(instanceId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(instanceId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(instanceId, tail);
    void tail.then(() => {
      if (this.locks.get(instanceId) === tail) this.locks.delete(instanceId);
    });
    return run;
  }

  private file(instanceId: string): string {
    if (!SAFE_ID.test(instanceId)) throw new RangeError(`instance id ${JSON.stringify(instanceId)} is not a safe file name`);
    return path.join(this.domainsDir, `${instanceId}.json`);
  }

  private async read(instanceId: string): Promise<Domain | null> {
    try {
      return JSON.parse(await readFile(this.file(instanceId), 'utf8')) as Domain;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async mustRead(instanceId: string): Promise<Domain> {
    const domain = await this.read(instanceId);
    if (!domain) throw new DomainNotFoundError(instanceId);
    return domain;
  }

  private async write(domain: Domain): Promise<Domain> {
    const updated = { ...domain, updatedAt: this.now().toISOString() };
    await writeJsonAtomic(this.file(domain.instanceId), updated);
    return updated;
  }
}

function pickSpec(spec: DomainSpec): DomainSpec {
  const { instanceId, name, vcpus, ramMb, diskGb, imagePath, imageSha256 } = spec;
  return { instanceId, name, vcpus, ramMb, diskGb, imagePath, imageSha256 };
}

/** The first field in which a repeated spawn differs from the domain on disk, if any. */
function differingField(domain: DomainSpec, spec: DomainSpec): string | null {
  const keys: Array<keyof DomainSpec> = ['name', 'vcpus', 'ramMb', 'diskGb', 'imagePath', 'imageSha256'];
  return keys.find((k) => domain[k] !== spec[k]) ?? null;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}
