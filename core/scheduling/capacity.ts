/**
 * The one "fits on this host" rule: for each resource, capacity × allocation ratio − used
 * ≥ asked. The scheduler's filter and the claim's conditional update use it as SQL; the
 * claim's refusal and the host view use it in TypeScript. Both are written from one table.
 */

export interface ResourceRequest {
  vcpus: number;
  ramMb: number;
  diskGb: number;
}

/** Overcommit a host allows unless told otherwise (Nova's defaults: CPU 4×, RAM and disk none). */
export const DEFAULT_ALLOCATION_RATIOS: Readonly<ResourceRequest> = { vcpus: 4.0, ramMb: 1.0, diskGb: 1.0 };

/** A host's row as PostgreSQL returns it: capacity, allocation ratio and usage per resource. */
export interface HostUsageRow {
  vcpus: number;
  cpu_allocation_ratio: number;
  vcpus_used: number;
  ram_mb: number;
  ram_allocation_ratio: number;
  ram_mb_used: number;
  disk_gb: number;
  disk_allocation_ratio: number;
  disk_gb_used: number;
}

interface Resource {
  /** The request's field. */
  asked: keyof ResourceRequest;
  total: keyof HostUsageRow;
  ratio: keyof HostUsageRow;
  used: keyof HostUsageRow;
  /** How a refusal names it, and its unit. */
  name: string;
  unit: '' | 'MB' | 'GB';
}

// prettier-ignore
export const RESOURCES: readonly Resource[] = [
  { asked: 'vcpus',  name: 'vCPU', unit: '',   total: 'vcpus',   ratio: 'cpu_allocation_ratio',  used: 'vcpus_used' },
  { asked: 'ramMb',  name: 'RAM',  unit: 'MB', total: 'ram_mb',  ratio: 'ram_allocation_ratio',  used: 'ram_mb_used' },
  { asked: 'diskGb', name: 'disk', unit: 'GB', total: 'disk_gb', ratio: 'disk_allocation_ratio', used: 'disk_gb_used' },
];

const resource = (asked: keyof ResourceRequest): Resource => RESOURCES.find((r) => r.asked === asked)!;

/**
 * SQL: the room left for new claims of one resource, capacity × ratio − used. For RAM this
 * is exactly the expression of the IDX_hosts_free_ram_* indexes, so the weighers' ORDER BY
 * and the filter below can walk an index.
 */
export function freeRoomSql(asked: keyof ResourceRequest): string {
  const r = resource(asked);
  return `${r.total} * ${r.ratio} - ${r.used}`;
}

/**
 * SQL: the host has room for the request, whose fields are the query's parameters named in
 * `params` (e.g. { vcpus: '$2', ramMb: '$3', diskGb: '$4' }).
 */
export function fitsSql(params: Record<keyof ResourceRequest, string>): string {
  return RESOURCES.map((r) => `${freeRoomSql(r.asked)} >= ${params[r.asked]}`).join('\n AND ');
}

/** SQL: the host is too small for the request even when empty (no point waiting for room). */
export function tooSmallSql(params: Record<keyof ResourceRequest, string>): string {
  return RESOURCES.map((r) => `${r.total} * ${r.ratio} < ${params[r.asked]}`).join(' OR ');
}

/** capacity × ratio − used, whole units (a fraction of a vCPU or MB cannot be claimed). */
export function freeRoom(total: number, ratio: number, used: number): number {
  return Math.floor(total * ratio) - used;
}

/** The resources a host lacks for the request, worded for an operator; empty when it fits. */
export function shortfalls(host: HostUsageRow, req: ResourceRequest): string[] {
  return RESOURCES.flatMap((r) => {
    const free = freeRoom(host[r.total], host[r.ratio], host[r.used]);
    const unit = r.unit && ` ${r.unit}`;
    return req[r.asked] > free ? [`${r.name} (${free}${unit} free, ${req[r.asked]}${unit} asked)`] : [];
  });
}
