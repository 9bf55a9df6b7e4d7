/**
 * The API's shapes the console reads (DESIGN.md's contract). What contracts/ defines is
 * imported from there (types only: nothing of the server is bundled); the views the API
 * builds in its own modules are restated here, with the fields the console uses.
 */
import type { ActionLogEntry, Attempt, Fault, InstanceStatus, TaskState } from '../../contracts/instances.js';

export type { Attempt, Fault };

export interface Instance {
  id: string;
  name: string;
  projectId: string;
  status: InstanceStatus;
  taskState: TaskState | null;
  host: string | null;
  flavor: string;
  image: string;
  addresses: Array<{ network: string; ip: string; mac: string; segmentation: { type: string; id: number | null } }>;
  volumes: Array<{ id: string; sizeGb: number; status: string; device: string | null }>;
  attempts: Attempt[];
  fault: Fault | null;
  createdAt: string;
  updatedAt: string;
  launchedAt: string | null;
}

/** One row of GET /v1/instances/{id}/actions: a saga step or an undo (`undo:<name>`). */
export type Action = ActionLogEntry;

/** GET /v1/hosts: core/scheduling/host-registry.ts's HostView (which the console cannot import: it loads TypeORM). */
export interface Host {
  name: string;
  status: 'up' | 'down' | 'disabled';
  vcpus: number;
  vcpusUsed: number;
  ramMb: number;
  ramMbUsed: number;
  diskGb: number;
  diskGbUsed: number;
  cpuAllocationRatio: number;
  ramAllocationRatio: number;
  diskAllocationRatio: number;
}

export interface Named {
  id: string;
  name: string;
}

export interface Flavor extends Named {
  vcpus: number;
  ramMb: number;
  diskGb: number;
}

export interface Image extends Named {
  status: 'queued' | 'active' | string;
  sizeBytes: number | null;
  sha256: string | null;
}

export interface Network extends Named {
  cidr: string;
  gateway: string;
  segmentation: { type: string; id: number | null };
}

export interface Port {
  id: string;
  networkId: string;
  instanceId: string | null;
  ip: string | null;
  mac: string;
  host: string | null;
  status: 'down' | 'active';
  deviceName: string | null;
}

/** A volume and its attachment (one at most), as GET /v1/volumes shows it. */
export interface Volume {
  id: string;
  name: string | null;
  sizeGb: number;
  status: string;
  deleteOnTermination: boolean;
  instanceId: string | null;
  host: string | null;
  device: string | null;
}

export interface Session {
  projectId: string;
  isAdmin: boolean;
  temporalUi: { port: number; namespace: string };
}
