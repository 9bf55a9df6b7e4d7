import { ApplicationFailure } from '@temporalio/activity';
import { carriedRecordsWriter } from '../../activities/records.js';
import type {
  CarriedRecords,
  ComputeActivities,
  DhcpActivities,
  NetworkActivities,
  PortInfo,
  RecordsActivities,
  SchedulerActivities,
  StorageActivities,
  StorageNodeActivities,
  VolumeInfo,
} from '../../contracts/activities.js';
import { FaultCodes } from '../../contracts/errors.js';
import { TaskQueues, computeQueue } from '../../contracts/task-queues.js';
import { FaultPlan, applyInjection, type FaultRule } from './fake-faults.js';

export type { InjectionMode, FaultRule } from './fake-faults.js';

/**
 * An in-memory cloud behind the mocked activities: it records every call in order
 * (`compute.node-1:claimResources`), keeps the live resources (claims, domains, VIFs,
 * ports, volumes, attachments) so a test can assert nothing is left after compensation,
 * and fails or hangs a given activity on a given queue when told to (fake-faults.ts). Every operation is
 * idempotent, keyed as the real services are (instance id, volume id).
 */

export interface RecordedCall {
  name: keyof RecordsActivities;
  input: any;
}

interface Volume {
  volumeId: string;
  instanceId: string | null;
  sizeGb: number;
  status: 'available' | 'in-use';
  deleteOnTermination: boolean;
}

export const HOSTS = ['node-1', 'node-2', 'node-3'] as const;

export class FakeCloud {
  /** Every activity call in order, `${queue}:${activity}`, records included (`instances:recordActive`). */
  calls: string[] = [];
  records: RecordedCall[] = [];
  /** The order in which the scheduler offers hosts (it skips excluded ones). */
  hostOrder: string[] = [...HOSTS];
  readonly claims = new Map<string, string>(); // instanceId → host: the control plane's record
  readonly hostClaims = new Set<string>(); // `${host}/${instanceId}`: the hosts' own ledgers
  readonly domains = new Set<string>(); // `${host}/${instanceId}`
  readonly vifs = new Set<string>(); // `${host}/${instanceId}`
  readonly ports = new Map<string, PortInfo>(); // instanceId → port
  readonly volumes = new Map<string, Volume>(); // volumeId → volume
  readonly attachments = new Set<string>(); // `${host}/${volumeId}`
  readonly reservations = new Set<string>(); // instanceId (the network node's DHCP)
  readonly stored = new Set<string>(); // volumeId: the storage node's file and target
  readonly exports = new Set<string>(); // `${host}/${volumeId}`: an ACL entry on the storage node
  private faults = new FaultPlan();
  /** `ready()` resolves the waiter and answers true once its condition holds. */
  private waiters: Array<{ call: string; ready: () => boolean }> = [];
  private nextIp = 5;

  reset(): void {
    this.calls = [];
    this.records = [];
    this.hostOrder = [...HOSTS];
    const all = [this.claims, this.domains, this.vifs, this.ports, this.volumes, this.attachments, this.reservations];
    for (const m of all) m.clear();
    for (const m of [this.stored, this.exports, this.hostClaims]) m.clear();
    this.faults = new FaultPlan();
    this.waiters = [];
  }

  fail(rule: FaultRule): this {
    this.faults.add(rule);
    return this;
  }

  /** Resolves once `queue:activity` has been called `nth` times (at once if it already was). */
  reached(call: string, nth = 1): Promise<void> {
    const done = () => this.calls.filter((c) => c === call).length >= nth;
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ call, ready: () => (done() ? (resolve(), true) : false) });
    });
  }

  /**
   * What the saga did to the cloud, in order: every call but the progress bookkeeping
   * (recordStep, recordSteps, recordAttempt, recordTaskState); outcomes (recordActive, recordFault,
   * recordDeleted) stay. With `after`, only the calls following the first `after`.
   */
  actions(after?: string): string[] {
    const bookkeeping = /:record(Step|Steps|Attempt|TaskState)$/;
    const all = this.calls.filter((c) => !bookkeeping.test(c));
    return after ? all.slice(all.indexOf(after) + 1) : all;
  }

  recordsOf<K extends keyof RecordsActivities>(name: K): Array<Parameters<RecordsActivities[K]>[0]> {
    return this.records.filter((r) => r.name === name).map((r) => r.input);
  }

  /** What is still allocated, as readable lines; [] when the cloud is clean. */
  leftovers(): string[] {
    return [
      ...[...this.claims].map(([id, host]) => `claim ${id} on ${host}`),
      ...[...this.hostClaims].map((k) => `host ledger claim ${k}`),
      ...[...this.domains].map((k) => `domain ${k}`),
      ...[...this.vifs].map((k) => `vif ${k}`),
      ...[...this.ports.keys()].map((id) => `port ${id}`),
      ...[...this.reservations].map((id) => `dhcp reservation ${id}`),
      // A standalone volume (not deleted on termination) outlives its instance by design.
      ...[...this.volumes.values()].filter((v) => v.deleteOnTermination).map((v) => `volume ${v.volumeId}`),
      ...[...this.attachments].map((k) => `attachment ${k}`),
      ...[...this.stored]
        .filter((id) => this.volumes.get(id)?.deleteOnTermination !== false)
        .map((id) => `stored ${id}`),
      ...[...this.exports].map((k) => `export ${k}`),
    ];
  }

  /** The state of an ACTIVE instance, as a finished build leaves it (for DeleteInstance). */
  seedActive(instanceId: string, host: string, volume?: { volumeId: string; deleteOnTermination: boolean }): void {
    this.claims.set(instanceId, host);
    this.hostClaims.add(`${host}/${instanceId}`);
    this.domains.add(`${host}/${instanceId}`);
    this.ports.set(instanceId, this.port(instanceId, 'net-1'));
    this.vifs.add(`${host}/${instanceId}`);
    this.reservations.add(instanceId);
    if (volume) {
      this.volumes.set(volume.volumeId, { ...volume, instanceId, sizeGb: 1, status: 'in-use' });
      this.attachments.add(`${host}/${volume.volumeId}`);
      this.stored.add(volume.volumeId);
      this.exports.add(`${host}/${volume.volumeId}`);
    }
  }

  /** The mocked activities of every queue, for the given live compute hosts. */
  activityQueues(hosts: readonly string[] = HOSTS): Record<string, object> {
    return {
      [TaskQueues.scheduler]: this.scheduler(),
      [TaskQueues.network]: this.carrying(this.network(), ['allocatePort']),
      [TaskQueues.storage]: this.carrying(this.storage(), ['createVolume', 'reserveVolume']),
      [TaskQueues.networkNode]: this.networkNode(),
      [TaskQueues.storageNode]: this.storageNode(),
      ...Object.fromEntries(hosts.map((h) => [computeQueue(h), this.compute(h)])),
    };
  }

  recordsActivities(): RecordsActivities {
    const rec = (name: keyof RecordsActivities) => async (input: any) => {
      this.records.push({ name, input });
      await this.call(TaskQueues.workflows, name, () => undefined);
    };
    const activities: RecordsActivities = {
      recordStep: rec('recordStep'),
      // One call; its steps are recorded one by one, as recordStep would have.
      recordSteps: async ({ steps }) => {
        for (const step of steps) this.records.push({ name: 'recordStep', input: step });
        await this.call(TaskQueues.workflows, 'recordSteps', () => undefined);
      },
      // Its records one by one, as their own activities would have been (faults included).
      recordBatch: async ({ records }) => {
        for (const { name, input } of records) await (activities[name] as (input: unknown) => Promise<void>)(input);
      },
      recordTaskState: rec('recordTaskState'),
      recordAttempt: rec('recordAttempt'),
      recordActive: rec('recordActive'),
      recordFault: rec('recordFault'),
      recordDeleted: rec('recordDeleted'),
      recordPowerState: rec('recordPowerState'),
      recordClaim: async (input) => {
        await rec('recordClaim')(input);
        this.claims.set(input.instanceId, input.host);
      },
      recordPortStatus: rec('recordPortStatus'),
      recordVolumeAttached: rec('recordVolumeAttached'),
      recordVolumeDetached: rec('recordVolumeDetached'),
    };
    return activities;
  }

  private scheduler(): SchedulerActivities {
    const q = TaskQueues.scheduler;
    return {
      selectHost: (input) =>
        this.call(q, 'selectHost', () => {
          const host = this.hostOrder.find((h) => !input.excludeHosts.includes(h));
          if (!host) throw ApplicationFailure.nonRetryable('no host has room for the flavor', FaultCodes.NoValidHost);
          return { host };
        }),
      releaseClaim: ({ instanceId }) => this.call(q, 'releaseClaim', () => void this.claims.delete(instanceId)),
    };
  }

  private compute(host: string): ComputeActivities {
    const q = computeQueue(host);
    const key = (id: string) => `${host}/${id}`;
    return {
      claimResources: ({ instanceId }) =>
        this.call(q, 'claimResources', () => void this.hostClaims.add(key(instanceId))),
      releaseHostClaim: ({ instanceId }) =>
        this.call(q, 'releaseHostClaim', () => void this.hostClaims.delete(key(instanceId))),
      pullImage: () => this.call(q, 'pullImage', () => ({ cached: false })),
      spawnDomain: ({ instanceId }) => this.call(q, 'spawnDomain', () => void this.domains.add(key(instanceId))),
      destroyDomain: ({ instanceId }) => this.call(q, 'destroyDomain', () => void this.domains.delete(key(instanceId))),
      plugVif: ({ instanceId }) => this.call(q, 'plugVif', () => void this.vifs.add(key(instanceId))),
      unplugVif: ({ instanceId }) => this.call(q, 'unplugVif', () => void this.vifs.delete(key(instanceId))),
      attachVolume: ({ volume }: { instanceId: string; volume: VolumeInfo }) =>
        this.call(q, 'attachVolume', () => {
          this.attachments.add(key(volume.volumeId));
          const v = this.volumes.get(volume.volumeId);
          if (v) v.status = 'in-use';
          return { device: '/dev/vdb' };
        }),
      detachVolume: ({ volumeId }) =>
        this.call(q, 'detachVolume', () => {
          this.attachments.delete(key(volumeId));
          const v = this.volumes.get(volumeId);
          if (v) v.status = 'available';
        }),
    };
  }

  private network(): NetworkActivities {
    const q = TaskQueues.network;
    return {
      allocatePort: ({ instanceId, networkId }) =>
        this.call(q, 'allocatePort', () => {
          const port = this.ports.get(instanceId) ?? this.port(instanceId, networkId);
          this.ports.set(instanceId, port);
          return port;
        }),
      deallocatePort: ({ instanceId }) => this.call(q, 'deallocatePort', () => void this.ports.delete(instanceId)),
      listDhcpReservations: () => this.call(q, 'listDhcpReservations', () => []),
    };
  }

  private networkNode(): DhcpActivities {
    const q = TaskQueues.networkNode;
    return {
      addDhcpReservation: ({ instanceId }) =>
        this.call(q, 'addDhcpReservation', () => void this.reservations.add(instanceId)),
      removeDhcpReservation: ({ instanceId }) =>
        this.call(q, 'removeDhcpReservation', () => void this.reservations.delete(instanceId)),
    };
  }

  private storage(): StorageActivities {
    const q = TaskQueues.storage;
    return {
      createVolume: ({ volumeId, instanceId, sizeGb }) =>
        this.call(q, 'createVolume', () => {
          if (!this.volumes.has(volumeId)) {
            this.volumes.set(volumeId, {
              volumeId,
              instanceId,
              sizeGb,
              status: 'available',
              deleteOnTermination: true,
            });
          }
          return { volumeId, sizeGb, pool: 'pool-1', connection: iscsiConnection(volumeId) };
        }),
      deleteVolume: ({ volumeId }) => this.call(q, 'deleteVolume', () => void this.volumes.delete(volumeId)),
      // An existing standalone volume: held by one instance at a time, given back (never deleted) by the undo.
      reserveVolume: ({ volumeId, instanceId }) =>
        this.call(q, 'reserveVolume', () => {
          const v = this.volumes.get(volumeId);
          if (!v || v.deleteOnTermination || (v.instanceId !== null && v.instanceId !== instanceId)) {
            throw ApplicationFailure.nonRetryable(`volume ${volumeId} is not available`, FaultCodes.VolumeNotAvailable);
          }
          v.instanceId = instanceId;
          return { volumeId, sizeGb: v.sizeGb, pool: 'pool-1', connection: iscsiConnection(volumeId) };
        }),
      unreserveVolume: ({ volumeId, instanceId }) =>
        this.call(q, 'unreserveVolume', () => {
          const v = this.volumes.get(volumeId);
          if (v?.instanceId === instanceId) Object.assign(v, { status: 'available', instanceId: null });
        }),
      listInstanceVolumes: ({ instanceId }) =>
        this.call(q, 'listInstanceVolumes', () =>
          [...this.volumes.values()]
            .filter((v) => v.instanceId === instanceId)
            .map((v) => ({ volumeId: v.volumeId, deleteOnTermination: v.deleteOnTermination })),
        ),
      listLiveVolumes: () => this.call(q, 'listLiveVolumes', () => [...this.volumes.keys()]),
      markVolumeDetached: ({ volumeId }) =>
        this.call(q, 'markVolumeDetached', () => {
          const v = this.volumes.get(volumeId);
          if (v) Object.assign(v, { status: 'available', instanceId: null });
        }),
    };
  }

  private storageNode(): StorageNodeActivities {
    const q = TaskQueues.storageNode;
    return {
      exportVolume: ({ volume, host }) =>
        this.call(q, 'exportVolume', () => {
          this.stored.add(volume.volumeId);
          this.exports.add(`${host}/${volume.volumeId}`);
        }),
      unexportVolume: ({ volumeId, host }) =>
        this.call(q, 'unexportVolume', () => void this.exports.delete(`${host}/${volumeId}`)),
      destroyVolume: ({ volumeId }) =>
        this.call(q, 'destroyVolume', () => {
          this.stored.delete(volumeId);
          for (const k of this.exports) if (k.endsWith(`/${volumeId}`)) this.exports.delete(k);
        }),
      reconcileVolumes: ({ liveVolumeIds }) =>
        this.call(q, 'reconcileVolumes', () => {
          const removed = [...this.stored].filter((id) => !liveVolumeIds.includes(id));
          for (const id of removed) this.stored.delete(id);
          return { removed };
        }),
    };
  }

  private port(instanceId: string, networkId: string): PortInfo {
    const n = this.nextIp++;
    return {
      portId: `port-${instanceId}`,
      networkId,
      networkName: 'default',
      ip: `10.0.0.${n}`,
      mac: `fa:16:3e:00:00:${n.toString(16).padStart(2, '0')}`,
      segmentation: { type: 'vlan', id: 100 },
      deviceName: 'tap0',
    };
  }

  /** Records the call, applies a matching fault before or after the effect, returns its result. */
  private async call<T>(queue: string, activity: string, effect: () => T): Promise<T> {
    const call = `${queue}:${activity}`;
    this.calls.push(call);
    this.wake(call);
    const rule = this.faults.take(queue, activity);
    if (rule?.when !== 'after') await applyInjection(rule, queue, activity);
    const result = effect();
    if (rule?.when === 'after') await applyInjection(rule, queue, activity);
    return result;
  }

  /** Steps that carry records (CarriedRecords): the records are written first, as their adapters do. */
  private carrying<A extends object>(activities: A, names: Array<keyof A>): A {
    const wrapped: Record<string, unknown> = { ...(activities as Record<string, unknown>) };
    const writeCarried = carriedRecordsWriter(this.recordsActivities());
    for (const name of names) {
      const run = activities[name] as (input: CarriedRecords) => Promise<unknown>;
      wrapped[name as string] = async (input: CarriedRecords) => {
        await writeCarried(input.records);
        return run(input);
      };
    }
    return wrapped as A;
  }

  private wake(call: string): void {
    this.waiters = this.waiters.filter((w) => w.call !== call || !w.ready());
  }
}

function iscsiConnection(volumeId: string): VolumeInfo['connection'] {
  return { targetIqn: `iqn.2010-10.org.nimbus:${volumeId}`, targetPortal: '127.0.0.1:3260', targetLun: 0 };
}
