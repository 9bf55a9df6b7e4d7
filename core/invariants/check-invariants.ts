import type { DataSource } from 'typeorm';
import type { ServedNetwork } from '../../contracts/dhcp.js';
import { expectedVifDevices } from '../network/live-vif-devices.js';
import { strayDevices } from '../network/vif/stray-devices.js';
import { checkDhcp } from './dhcp-invariants.js';

/**
 * What "nothing leaked" means, as checks anyone can run: the end-to-end tests after every
 * fault they inject, an operator through `GET /v1/admin/invariants`. A resource belongs to
 * a live instance (BUILD or ACTIVE) or to nobody; an instance in ERROR or DELETED, or one
 * that does not exist, holds nothing. Every check is one query, so the whole run is cheap
 * enough to call after each test.
 */

export type ViolationKind =
  /** A claim (host capacity) held for an instance that is not live. */
  | 'claim'
  /** A port of an instance that is not live. */
  | 'port'
  /** An IP address handed to a port that is gone or whose instance is not live. */
  | 'ip_allocation'
  /** A volume attachment of an instance that is not live, or of a deleted volume. */
  | 'attachment'
  /** A volume a build created (delete on termination) that outlived its instance. */
  | 'volume'
  /** A host whose recorded usage is not the sum of its claims. */
  | 'host_usage'
  /** A storage pool whose allocation is not the sum of its volumes. */
  | 'storage_pool'
  /** A domain on a host that no live instance of that host owns. */
  | 'domain'
  /** An ACTIVE instance whose host has no domain for it. */
  | 'missing_domain'
  /** A QEMU process (`-uuid <instance id>`) on a host that no live instance of that host owns. */
  | 'qemu_process'
  /** An ACTIVE instance on a QEMU host without its QEMU process. */
  | 'missing_qemu'
  /** A tap or bridge on a host that belongs to no live port there (core/network/live-vif-devices.ts). */
  | 'vif_device'
  /** A DHCP reservation on the network node for a port that no longer exists. */
  | 'dhcp_reservation'
  /** A network the network node still serves (qdhcp namespace, dnsmasq) that is deleted or has no port. */
  | 'dhcp_namespace'
  /** An iSCSI target on the storage node whose volume is deleted or does not exist. */
  | 'iscsi_target'
  /** A volume file in a storage pool whose volume is deleted or does not exist. */
  | 'volume_file';

export interface Violation {
  kind: ViolationKind;
  /** The leaked thing: an instance, port, volume, host or pool id/name. */
  id: string;
  detail: string;
}

export interface InvariantOptions {
  /**
   * The domains each host really has (host → instance ids). Only a host's own disk knows
   * them, so the API cannot pass this; tests read them from the nodes' directories.
   */
  domainsByHost?: Map<string, string[]>;
  /**
   * The guests whose QEMU process runs, per QEMU host (host → instance ids, [] for a QEMU
   * host running none). Only the host's `/proc` shows them; tests read them
   * (test/support/qemu-processes.ts). Hosts not in the map are not checked for processes.
   */
  qemuByHost?: Map<string, string[]>;
  /** Each host's bridges with their taps (bare taps under ''), as the VIF driver lists them on the host. */
  vifDevicesByHost?: Map<string, Record<string, string[]>>;
  /** The networks the network node serves (its state dir) and the qdhcp namespaces that exist. */
  dhcp?: { served: ServedNetwork[]; namespaces: Set<string> };
  /**
   * What the storage node really exports and stores (volume ids of its targets and pool
   * files); only it can list them (test/support/invariants.ts reads them with tgtadm).
   */
  storage?: { targets: string[]; files: string[] };
}

// A SHUTOFF instance keeps its claim, port, volumes and (stopped) domain, as Nova's stopped instances do.
const LIVE = `('BUILD', 'ACTIVE', 'SHUTOFF')`;

type Row = Record<string, any>;

/** Every violation found, in a stable order (kind, then id); [] when nothing leaked. */
export async function checkInvariants(db: DataSource, options: InvariantOptions = {}): Promise<Violation[]> {
  const found: Violation[] = [];
  const add = (kind: ViolationKind, rows: Row[], detail: (r: Row) => string) => {
    for (const r of rows) found.push({ kind, id: String(r.id), detail: detail(r) });
  };
  const owner = (r: Row) =>
    r.status ? `instance ${r.instance_id} is ${r.status}` : `instance ${r.instance_id} does not exist`;

  add(
    'claim',
    await db.query(
      `SELECT c.instance_id AS id, c.instance_id, c.host, i.status FROM claims c
     LEFT JOIN instances i ON i.id = c.instance_id
     WHERE i.status IS NULL OR i.status NOT IN ${LIVE}`,
    ),
    (r) => `claim on ${r.host} held for ${owner(r)}`,
  );

  add(
    'port',
    await db.query(
      `SELECT p.id, p.instance_id, host(a.address) AS ip, i.status FROM ports p
     LEFT JOIN instances i ON i.id = p.instance_id
     LEFT JOIN ip_allocations a ON a.port_id = p.id
     WHERE p.instance_id IS NOT NULL AND (i.status IS NULL OR i.status NOT IN ${LIVE})`,
    ),
    (r) => `port${r.ip ? ` with ${r.ip}` : ''} kept for ${owner(r)}`,
  );

  add(
    'ip_allocation',
    await db.query(
      `SELECT a.id, host(a.address) AS ip, a.port_id, p.instance_id, i.status FROM ip_allocations a
     LEFT JOIN ports p ON p.id = a.port_id
     LEFT JOIN instances i ON i.id = p.instance_id
     WHERE p.id IS NULL OR (p.instance_id IS NOT NULL AND (i.status IS NULL OR i.status NOT IN ${LIVE}))`,
    ),
    (r) =>
      `${r.ip} allocated to ` +
      `${r.instance_id === undefined || r.instance_id === null ? `port ${r.port_id}, which does not exist` : owner(r)}`,
  );

  add(
    'attachment',
    await db.query(
      `SELECT va.volume_id AS id, va.instance_id, va.host, i.status, v.status AS volume_status
     FROM volume_attachments va
     LEFT JOIN instances i ON i.id = va.instance_id
     LEFT JOIN volumes v ON v.id = va.volume_id
     WHERE i.status IS NULL OR i.status NOT IN ${LIVE} OR v.id IS NULL OR v.status = 'deleted'`,
    ),
    (r) =>
      `volume attached on ${r.host} for ${owner(r)}${r.volume_status === 'deleted' ? ' (the volume is deleted)' : ''}`,
  );

  // A build's volume names its instance; one made before the owner column knew only its attachment.
  add(
    'volume',
    await db.query(
      `SELECT v.id, v.status AS volume_status, v.instance_id, i.status FROM volumes v
     LEFT JOIN instances i ON i.id = v.instance_id
     WHERE v.delete_on_termination AND v.status <> 'deleted'
       AND (i.status IS NULL OR i.status NOT IN ${LIVE})
       AND NOT EXISTS (
         SELECT 1 FROM volume_attachments va JOIN instances li ON li.id = va.instance_id
         WHERE va.volume_id = v.id AND v.instance_id IS NULL AND li.status IN ${LIVE})`,
    ),
    (r) =>
      `${r.volume_status} volume outlived ` +
      `${r.instance_id ? owner(r) : 'its instance (no live instance has it attached)'}`,
  );

  add(
    'host_usage',
    await db.query(
      `SELECT h.name AS id, h.vcpus_used, h.ram_mb_used, h.disk_gb_used,
            COALESCE(SUM(c.vcpus), 0)::int AS vcpus, COALESCE(SUM(c.ram_mb), 0)::int AS ram_mb,
            COALESCE(SUM(c.disk_gb), 0)::int AS disk_gb
     FROM hosts h LEFT JOIN claims c ON c.host = h.name
     GROUP BY h.name
     HAVING h.vcpus_used <> COALESCE(SUM(c.vcpus), 0) OR h.ram_mb_used <> COALESCE(SUM(c.ram_mb), 0)
         OR h.disk_gb_used <> COALESCE(SUM(c.disk_gb), 0)`,
    ),
    (r) =>
      `usage ${r.vcpus_used} vCPU / ${r.ram_mb_used} MB / ${r.disk_gb_used} GB, ` +
      `but its claims sum to ${r.vcpus} vCPU / ${r.ram_mb} MB / ${r.disk_gb} GB`,
  );

  add(
    'storage_pool',
    await db.query(
      `SELECT p.name AS id, p.allocated_gb,
            COALESCE(SUM(v.size_gb) FILTER (WHERE v.status <> 'deleted'), 0)::int AS volumes_gb
     FROM storage_pools p LEFT JOIN volumes v ON v.pool = p.name
     GROUP BY p.name
     HAVING p.allocated_gb <> COALESCE(SUM(v.size_gb) FILTER (WHERE v.status <> 'deleted'), 0)`,
    ),
    (r) => `${r.allocated_gb} GB allocated, but its volumes sum to ${r.volumes_gb} GB`,
  );

  if (options.domainsByHost) found.push(...(await checkHostThings(db, options.domainsByHost, DOMAINS)));
  if (options.qemuByHost) found.push(...(await checkHostThings(db, options.qemuByHost, QEMU_PROCESSES)));
  if (options.vifDevicesByHost) {
    const byHost = options.vifDevicesByHost;
    const expected = await expectedVifDevices(db, [...byHost.keys()]);
    for (const [host, devices] of byHost) {
      const stray = strayDevices(devices, expected.get(host)!);
      add(
        'vif_device',
        stray.map((id) => ({ id })),
        (r) => `${r.id} on ${host} belongs to no live port there`,
      );
    }
  }
  if (options.dhcp) found.push(...(await checkDhcp(db, options.dhcp.served, options.dhcp.namespaces)));
  if (options.storage) found.push(...(await checkStorage(db, options.storage)));
  return found.sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
}

/** What a host really has, as the checks name it: a domain, or a QEMU process. */
interface HostThing {
  orphan: ViolationKind;
  missing: ViolationKind;
  noun: string;
}
const DOMAINS: HostThing = { orphan: 'domain', missing: 'missing_domain', noun: 'domain' };
const QEMU_PROCESSES: HostThing = { orphan: 'qemu_process', missing: 'missing_qemu', noun: 'QEMU process' };

/**
 * A host's domains (or QEMU processes) against instances: each has a live owner on its
 * host, and each ACTIVE instance of the host has one.
 */
async function checkHostThings(db: DataSource, byHost: Map<string, string[]>, what: HostThing): Promise<Violation[]> {
  const found: Violation[] = [];
  const ids = [...new Set([...byHost.values()].flat())];
  const hosts = [...byHost.keys()];
  const rows: Array<{ id: string; status: string; host: string | null }> = await db.query(
    `SELECT id::text AS id, status, host FROM instances
     WHERE id::text = ANY($1) OR (status = 'ACTIVE' AND host = ANY($2))`,
    [ids, hosts],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const [host, things] of byHost) {
    for (const id of things) {
      const inst = byId.get(id);
      if (inst && inst.host === host && ['BUILD', 'ACTIVE', 'SHUTOFF'].includes(inst.status)) continue;
      const why = !inst
        ? 'no such instance'
        : inst.host !== host
          ? `instance is ${inst.status} on ${inst.host ?? 'no host'}`
          : `instance is ${inst.status}`;
      found.push({ kind: what.orphan, id, detail: `${what.noun} on ${host}: ${why}` });
    }
    const present = new Set(things);
    for (const r of rows) {
      if (r.status === 'ACTIVE' && r.host === host && !present.has(r.id)) {
        found.push({
          kind: what.missing,
          id: r.id,
          detail: `instance is ACTIVE on ${host}, which has no ${what.noun} for it`,
        });
      }
    }
  }
  return found;
}

/** A target or a volume file is a leak unless its volume exists and is not deleted. */
async function checkStorage(db: DataSource, storage: { targets: string[]; files: string[] }): Promise<Violation[]> {
  const ids = [...new Set([...storage.targets, ...storage.files])];
  const rows: Array<{ id: string }> = await db.query(
    `SELECT id::text AS id FROM volumes WHERE id::text = ANY($1) AND status <> 'deleted'`,
    [ids],
  );
  const live = new Set(rows.map((r) => r.id));
  return [
    ...storage.targets
      .filter((id) => !live.has(id))
      .map((id) => ({ kind: 'iscsi_target' as const, id, detail: 'a target on the storage node with no live volume' })),
    ...storage.files
      .filter((id) => !live.has(id))
      .map((id) => ({ kind: 'volume_file' as const, id, detail: 'a file in a storage pool with no live volume' })),
  ];
}
