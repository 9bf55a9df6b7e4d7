import { mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { initiatorIqnOf } from '../../../contracts/storage.js';
import { firstFreeVolumeDevice } from '../device-names.js';
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
} from '../driver.js';
import { DomainConflictError, DomainNotFoundError, ImageNotCachedError } from '../errors.js';
import { probeKernel } from './boot-files.js';
import { freePort } from './free-port.js';
import { HostAccelerator } from './host-accelerator.js';
import { InstanceFiles, stripVif, toDomain, type DomainRecord, type RecordedVif } from './instance-files.js';
import { MIN_RAM_MB } from './qemu-args.js';
import { attachDisk, detachDisk, plugNic, unplugNic } from './qemu-devices.js';
import { waitForGuestReady } from './guest-ready.js';
import type { QemuDriverOptions } from './qemu-driver-options.js';
import { deviceFailed, specInvalid, startFailed } from './qemu-errors.js';
import * as proc from './qemu-process.js';
import type { QmpClient, QmpWaitOptions } from './qmp-client.js';
import { launchDomain } from './qemu-launch.js';
import { withQmp } from './qmp-session.js';
import { ipRunner } from '../../network/linux/ip.js';

export type { QemuDriverOptions } from './qemu-driver-options.js';

/**
 * Nova's libvirt driver, reduced to QEMU itself: one daemonized QEMU per instance, keyed
 * by the instance id (its `-uuid`), found again after an agent restart through its pidfile
 * and QMP. ACTIVE means the process runs, QMP says `running` and, for a kernel-bundle image
 * with `guestBootTimeoutMs`, the guest printed its ready marker (guest-ready.ts). Locking and fault
 * injection come from the factory's wrappers, as for every driver.
 */
export class QemuDriver implements HypervisorDriver {
  readonly files: InstanceFiles;
  private readonly accelerator: HostAccelerator;

  constructor(private readonly opts: QemuDriverOptions) {
    this.files = new InstanceFiles(opts.nodeDir);
    this.accelerator = new HostAccelerator(opts);
  }

  async initHost(): Promise<void> {
    await mkdir(this.files.instancesDir, { recursive: true });
    await mkdir(this.files.socketsDir, { recursive: true, mode: 0o700 });
    await this.accelerator.resolve(await probeKernel(this.files.bootDir, this.opts.probeImage));
  }

  async getHostResources(): Promise<HostResources> {
    const fs = await statfs(this.opts.nodeDir).catch(() => statfs(path.dirname(path.resolve(this.opts.nodeDir))));
    return {
      vcpus: os.cpus().length,
      ramMb: Math.floor(os.totalmem() / 2 ** 20),
      diskGb: Math.floor((fs.blocks * fs.bsize) / 2 ** 30),
      hypervisorType: (
        this.accelerator.current ??
        (await this.accelerator.resolve(await probeKernel(this.files.bootDir, this.opts.probeImage)))
      ).hypervisorType,
    };
  }

  async spawn(spec: DomainSpec, opts: OperationOptions = {}): Promise<Domain> {
    const id = spec.instanceId;
    this.files.dir(id);
    if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1) throw specInvalid(id, `${spec.vcpus} vCPUs`);
    if (spec.ramMb < MIN_RAM_MB) {
      throw specInvalid(id, `${spec.ramMb} MB of RAM is below the ${MIN_RAM_MB} MB the QEMU driver boots guests with`);
    }
    let record = await this.files.read(id);
    if (record) {
      const keys: Array<keyof DomainSpec> = ['name', 'vcpus', 'ramMb', 'diskGb', 'imagePath', 'imageSha256'];
      const differs = keys.find((k) => record![k] !== spec[k]);
      if (differs) throw new DomainConflictError(id, differs);
    } else {
      const image = await stat(spec.imagePath).catch(() => null);
      if (!image?.isFile()) throw new ImageNotCachedError(spec.imagePath);
      await mkdir(this.files.dir(id), { recursive: true });
      const at = new Date().toISOString();
      const { name, vcpus, ramMb, diskGb, imagePath, imageSha256 } = spec;
      record = await this.files.write({
        ...{ instanceId: id, name, vcpus, ramMb, diskGb, imagePath, imageSha256, vifs: [], volumes: [] },
        ...{ createdAt: at, updatedAt: at },
      });
    }
    if (!(await this.pid(id))) await this.start(record, opts);
    await this.waitRunning(id, opts);
    const [timeoutMs, consoleLog, { imagePath }] = [this.opts.guestBootTimeoutMs, this.files.console(id), record];
    if (timeoutMs) {
      const alive = async () => (await this.pid(id)) !== null;
      const stop = async () => {
        const pid = await this.pid(id);
        if (pid) await proc.killQemu(pid, id);
      };
      await waitForGuestReady({ instanceId: id, imagePath, consoleLog, timeoutMs, alive, stop, signal: opts.signal });
    }
    return toDomain(record, 'running');
  }

  /** Starts QEMU for a recorded domain: the loopback port of user-mode networking is picked anew each start. */
  private async start(record: DomainRecord, opts: OperationOptions): Promise<void> {
    const port = this.opts.userNetwork ? await freePort() : undefined;
    const { files, accelerator, initiator: initiatorName } = this;
    const ctx = { files, accelerator, qemu: this.opts.qemu, netns: this.opts.netns, initiatorName };
    const written = await files.write({ ...record, httpForwardPort: port });
    await launchDomain({ ...ctx, hasTap: (n) => this.hasTap(n) }, written, opts);
  }

  /** Until QMP says `running` (a paused guest is continued), the process dies, or the signal aborts. */
  private async waitRunning(id: string, opts: OperationOptions): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      opts.signal?.throwIfAborted();
      if (!(await this.pid(id))) {
        throw startFailed(id, 'QEMU exited during start', await proc.consoleTail(this.files.console(id), 10));
      }
      const status = await this.withQmp(id, opts, (q) => q.execute<{ status: string }>('query-status')).catch(
        () => null,
      );
      if (status?.status === 'running') return;
      if (status?.status === 'paused') await this.withQmp(id, opts, (q) => q.execute('cont'));
      if (Date.now() > deadline)
        throw startFailed(id, `QMP never reported running (last: ${status?.status ?? 'no answer'})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async destroy(instanceId: string, opts: OperationOptions = {}): Promise<void> {
    opts.signal?.throwIfAborted();
    const dir = this.files.dir(instanceId);
    await this.stopQemu(instanceId);
    await rm(dir, { recursive: true, force: true });
    await rm(this.files.qmpSocket(instanceId), { force: true });
  }

  /** Ends the QEMU process: a clean quit first (QEMU flushes the overlay), then SIGKILL; either way it ends. */
  private async stopQemu(instanceId: string): Promise<void> {
    const pid = (await this.pid(instanceId)) ?? (await proc.findQemuByUuid(instanceId));
    if (!pid) return;
    await this.withQmp(instanceId, { timeoutMs: 3000 }, (q) => q.execute('quit')).catch(() => undefined);
    if (!(await proc.waitForExit(pid, instanceId, this.opts.quitTimeoutMs ?? 5000))) {
      await proc.killQemu(pid, instanceId);
    }
  }

  /**
   * QMP `quit`, keeping the record and the overlay, so powerOn boots the same disk. No
   * `system_powerdown` first: the guest image has no ACPI daemon to act on it, and the
   * overlay is flushed by QEMU's own quit.
   */
  async powerOff(instanceId: string, opts: OperationOptions = {}): Promise<void> {
    await this.mustRead(instanceId);
    opts.signal?.throwIfAborted();
    await this.stopQemu(instanceId);
  }

  /** Starts QEMU again for the recorded domain (on its overlay), then waits until QMP says running. */
  async powerOn(instanceId: string, opts: OperationOptions = {}): Promise<void> {
    const record = await this.mustRead(instanceId);
    if (!(await this.pid(instanceId))) await this.start(record, opts);
    await this.waitRunning(instanceId, opts);
  }

  /** QMP `system_reset` (a hard reboot, as Nova's libvirt driver does with a reset); a stopped guest is started. */
  async reboot(instanceId: string, opts: OperationOptions = {}): Promise<void> {
    await this.mustRead(instanceId);
    if (!(await this.pid(instanceId))) return this.powerOn(instanceId, opts);
    await this.withQmp(instanceId, opts, (q) => q.execute('system_reset'));
    await this.waitRunning(instanceId, opts);
  }

  async plugVif(instanceId: string, vif: VifSpec, opts: OperationOptions = {}): Promise<PluggedVif> {
    const record = await this.mustRead(instanceId);
    const plugged = record.vifs.find((v) => v.portId === vif.portId);
    if (plugged) return stripVif(plugged);
    let hostDevice = false;
    if (await this.pid(instanceId)) {
      const tap = await this.hasTap(vif.tapDevice);
      hostDevice = (await this.withQmp(instanceId, opts, (q) => plugNic(q, vif, opts, tap))).hostDevice;
    } // else recorded only: start() plugs recorded NICs
    const { portId, mac, ip, networkId, segmentation, tapDevice, bridge } = vif;
    const added: RecordedVif = { portId, mac, ip, networkId, segmentation: { ...segmentation }, tapDevice, bridge };
    await this.files.write({ ...record, vifs: [...record.vifs, { ...added, hostDevice }] });
    return added;
  }

  async unplugVif(instanceId: string, portId?: string, opts: OperationOptions = {}): Promise<void> {
    const record = await this.files.read(instanceId);
    if (!record) return;
    const gone = record.vifs.filter((v) => portId === undefined || v.portId === portId);
    if (gone.length === 0) return;
    if (await this.pid(instanceId)) {
      await this.withQmp(instanceId, opts, async (q) => {
        // A NIC started on the command line has its netdev whatever the record says.
        for (const v of gone) await unplugNic(q, v.portId, true, opts);
      });
    }
    await this.files.write({ ...record, vifs: record.vifs.filter((v) => !gone.includes(v)) });
  }

  async attachVolume(
    instanceId: string,
    vol: VolumeAttachSpec,
    opts: OperationOptions = {},
  ): Promise<{ device: string }> {
    const record = await this.mustRead(instanceId);
    const attached = record.volumes.find((v) => v.volumeId === vol.volumeId);
    if (attached) return { device: attached.device };
    if (!(await this.pid(instanceId)))
      throw deviceFailed(instanceId, `cannot attach ${vol.volumeId}: QEMU is not running`);
    await this.withQmp(instanceId, opts, (q) => attachDisk(q, vol, this.initiator, opts));
    await this.files.writeAttachSpec(instanceId, vol);
    const device = firstFreeVolumeDevice(record.volumes.map((v) => v.device));
    // The target only: credentials are the connector's, never written into the record.
    const { targetIqn, targetPortal, targetLun } = vol.connection;
    const volume = { volumeId: vol.volumeId, connection: { targetIqn, targetPortal, targetLun }, device };
    await this.files.write({ ...record, volumes: [...record.volumes, volume] });
    return { device };
  }

  async detachVolume(instanceId: string, volumeId: string, opts: OperationOptions = {}): Promise<void> {
    const record = await this.files.read(instanceId);
    if (!record?.volumes.some((v) => v.volumeId === volumeId)) return;
    if (await this.pid(instanceId)) await this.withQmp(instanceId, opts, (q) => detachDisk(q, volumeId, opts));
    await this.files.write({ ...record, volumes: record.volumes.filter((v) => v.volumeId !== volumeId) });
    await this.files.removeAttachSpec(instanceId, volumeId);
  }

  async listDomains(): Promise<Domain[]> {
    const ids = await readdir(this.files.instancesDir).catch(() => [] as string[]);
    const domains = await Promise.all(ids.sort().map((id) => this.getDomain(id).catch(() => null)));
    return domains.filter((d): d is Domain => d !== null);
  }

  async getDomain(instanceId: string): Promise<Domain | null> {
    const record = await this.files.read(instanceId);
    if (!record) return null;
    return toDomain(record, await this.state(instanceId));
  }

  /** The last `lines` lines of the guest's serial console (Nova's os-getConsoleOutput). */
  async getConsoleOutput(instanceId: string, lines: number): Promise<string> {
    await this.mustRead(instanceId);
    return proc.consoleTail(this.files.console(instanceId), lines);
  }

  /** Where the guest's port 80 is reachable with user-mode networking (inside `netns` when set), else null. */
  async guestHttpEndpoint(instanceId: string): Promise<string | null> {
    const port = (await this.files.read(instanceId))?.httpForwardPort;
    return port ? `http://127.0.0.1:${port}` : null;
  }

  /** Whether the port's tap exists where QEMU runs (the VIF driver made it); the fake VIF driver makes none. */
  private async hasTap(name: string): Promise<boolean> {
    return (
      (await ipRunner(this.opts.netns)
        .link(name)
        .catch(() => null)) !== null
    );
  }

  /** The QEMU process's pid, or null when it is not running. */
  pid(instanceId: string): Promise<number | null> {
    return proc.livePid(this.files.pidfile(instanceId), instanceId);
  }

  /**
   * Running when the process lives and QMP does not say otherwise: QMP serves one client at
   * a time, so a busy monitor (a hot-plug in progress) is no sign of a dead guest.
   */
  private async state(instanceId: string): Promise<DomainState> {
    if (!(await this.pid(instanceId))) return 'shutoff';
    const status = await this.withQmp(instanceId, { timeoutMs: 2000 }, (q) =>
      q.execute<{ status: string }>('query-status'),
    ).catch(() => null);
    return !status || status.status === 'running' ? 'running' : 'shutoff';
  }

  private get initiator(): string {
    return this.opts.initiatorName ?? initiatorIqnOf(os.hostname());
  }

  private withQmp<T>(id: string, opts: QmpWaitOptions, fn: (q: QmpClient) => Promise<T>): Promise<T> {
    return withQmp(this.files.qmpSocket(id), opts, fn);
  }

  private async mustRead(instanceId: string): Promise<DomainRecord> {
    const record = await this.files.read(instanceId);
    if (!record) throw new DomainNotFoundError(instanceId);
    return record;
  }
}
