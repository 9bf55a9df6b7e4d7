import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAtomicTempFile, writeJsonAtomic } from '../images/atomic-write.js';
import { firstFreeVolumeDevice } from './device-names.js';
import { GUEST_READY_MARKER } from './guest-image/guest-init.js';
import type {
  Domain,
  DomainSpec,
  DomainState,
  HostResources,
  HypervisorDriver,
  OperationOptions,
  PluggedVif,
  VifSpec,
  VolumeAttachSpec,
} from './driver.js';
import { DomainConflictError, DomainNotFoundError, ImageNotCachedError } from './errors.js';

export interface FakeDriverOptions {
  /** The node's state directory (core/config.ts `nodeDir`); domains live in `domains/`. */
  nodeDir: string;
  /** Time every mutating operation takes, so progress is visible (NIMBUS_HYPERVISOR_DELAY_MS). */
  delayMs?: number;
  /** The capacity the fake host reports; defaults to the seeded hosts' (DESIGN: seeds). */
  resources?: Partial<Omit<HostResources, 'hypervisorType'>>;
  now?: () => Date;
}

/** The seeded hosts' size: 8 vCPUs, 16384 MB RAM, 160 GB disk. */
export const FAKE_HOST_RESOURCES: HostResources = { vcpus: 8, ramMb: 16384, diskGb: 160, hypervisorType: 'fake' };

/** Instance ids become file names: refuse anything that could leave the directory. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * A hypervisor that boots nothing but keeps each domain as a JSON file on the node's
 * disk, so its state survives an agent restart exactly as libvirt's would and the
 * reconciler has something real to compare against Postgres. It neither locks nor injects
 * faults itself: the factory wraps it (driver-factory.ts), as it wraps every driver.
 */
export class FakeDriver implements HypervisorDriver {
  readonly domainsDir: string;
  private readonly delayMs: number;
  private readonly resources: HostResources;
  private readonly now: () => Date;

  constructor(opts: FakeDriverOptions) {
    this.domainsDir = path.join(opts.nodeDir, 'domains');
    this.delayMs = opts.delayMs ?? 0;
    if (!Number.isFinite(this.delayMs) || this.delayMs < 0) throw new RangeError(`bad delayMs ${opts.delayMs}`);
    this.resources = { ...FAKE_HOST_RESOURCES };
    for (const key of ['vcpus', 'ramMb', 'diskGb'] as const) {
      const value = opts.resources?.[key] ?? FAKE_HOST_RESOURCES[key];
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`fake host ${key} must be a positive integer (got ${value})`);
      }
      this.resources[key] = value;
    }
    this.now = opts.now ?? (() => new Date());
  }

  async initHost(): Promise<void> {
    await mkdir(this.domainsDir, { recursive: true });
  }

  getHostResources(): Promise<HostResources> {
    return Promise.resolve({ ...this.resources });
  }

  spawn(spec: DomainSpec, opts: OperationOptions = {}): Promise<Domain> {
    return this.operation(spec.instanceId, opts, async () => {
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
    return this.operation(instanceId, opts, async () => {
      await rm(this.file(instanceId), { force: true });
    });
  }

  plugVif(instanceId: string, vif: VifSpec, opts: OperationOptions = {}): Promise<PluggedVif> {
    return this.operation(instanceId, opts, async () => {
      const domain = await this.mustRead(instanceId);
      const plugged = domain.vifs.find((v) => v.portId === vif.portId);
      if (plugged) return plugged;
      const { portId, mac, ip, networkId, segmentation, tapDevice, bridge } = vif;
      const added: PluggedVif = { portId, mac, ip, networkId, segmentation: { ...segmentation }, tapDevice, bridge };
      await this.write({ ...domain, vifs: [...domain.vifs, added] });
      return added;
    });
  }

  unplugVif(instanceId: string, portId?: string, opts: OperationOptions = {}): Promise<void> {
    return this.operation(instanceId, opts, async () => {
      const domain = await this.read(instanceId);
      if (!domain) return;
      const vifs = portId === undefined ? [] : domain.vifs.filter((v) => v.portId !== portId);
      if (vifs.length !== domain.vifs.length) await this.write({ ...domain, vifs });
    });
  }

  attachVolume(instanceId: string, vol: VolumeAttachSpec, opts: OperationOptions = {}): Promise<{ device: string }> {
    return this.operation(instanceId, opts, async () => {
      const domain = await this.mustRead(instanceId);
      const attached = domain.volumes.find((v) => v.volumeId === vol.volumeId);
      if (attached) return { device: attached.device };
      const device = firstFreeVolumeDevice(domain.volumes.map((v) => v.device));
      // The target only: credentials are the connector's, never written into the domain.
      const { targetIqn, targetPortal, targetLun } = vol.connection;
      const volume = { volumeId: vol.volumeId, connection: { targetIqn, targetPortal, targetLun }, device };
      await this.write({ ...domain, volumes: [...domain.volumes, volume] });
      return { device };
    });
  }

  detachVolume(instanceId: string, volumeId: string, opts: OperationOptions = {}): Promise<void> {
    return this.operation(instanceId, opts, async () => {
      const domain = await this.read(instanceId);
      if (!domain) return;
      const volumes = domain.volumes.filter((v) => v.volumeId !== volumeId);
      if (volumes.length !== domain.volumes.length) await this.write({ ...domain, volumes });
    });
  }

  powerOff(instanceId: string, opts: OperationOptions = {}): Promise<void> {
    return this.setState(instanceId, 'shutoff', opts);
  }

  powerOn(instanceId: string, opts: OperationOptions = {}): Promise<void> {
    return this.setState(instanceId, 'running', opts);
  }

  /** A fake guest reboots at once: it is running afterwards, whatever it was. */
  reboot(instanceId: string, opts: OperationOptions = {}): Promise<void> {
    return this.operation(instanceId, opts, async () => {
      const domain = await this.mustRead(instanceId);
      await this.write({ ...domain, state: 'running' });
    });
  }

  private setState(instanceId: string, state: DomainState, opts: OperationOptions): Promise<void> {
    return this.operation(instanceId, opts, async () => {
      const domain = await this.mustRead(instanceId);
      if (domain.state !== state) await this.write({ ...domain, state });
    });
  }

  async listDomains(): Promise<Domain[]> {
    // A node that never spawned has no domains folder, and so no domains.
    const names = await readdir(this.domainsDir).catch((err: unknown) => (isNotFound(err) ? [] : Promise.reject(err)));
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

  /** A fake guest "boots" at once: its console holds the marker a real guest prints (guest-init.ts). */
  async getConsoleOutput(instanceId: string, lines: number): Promise<string> {
    await this.mustRead(instanceId);
    return [`fake console of ${instanceId}`, `${GUEST_READY_MARKER} instance=${instanceId}`].slice(-lines).join('\n');
  }

  /** The configured delay (abortable), then the change. Locking is the caller's (locked.ts). */
  private async operation<T>(instanceId: string, opts: OperationOptions, fn: () => Promise<T>): Promise<T> {
    this.file(instanceId); // validates the id before any delay
    if (this.delayMs > 0) {
      // Rethrow the caller's reason (as a hang does) rather than a generic AbortError.
      await sleep(this.delayMs, undefined, { signal: opts.signal }).catch((err) => {
        throw opts.signal?.aborted ? opts.signal.reason : err;
      });
    }
    opts.signal?.throwIfAborted();
    return fn();
  }

  private file(instanceId: string): string {
    if (!SAFE_ID.test(instanceId))
      throw new RangeError(`instance id ${JSON.stringify(instanceId)} is not a safe file name`);
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
