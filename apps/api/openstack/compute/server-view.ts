import { createHash } from 'node:crypto';
import type { ServerExtra } from '../../../../core/db/entities/index.js';
import type { InstanceView } from '../../../../core/instances/instance-view.js';
import { isoSeconds, novaTime } from '../common/endpoints.js';

/** Nova's vm_state for each of our statuses. */
const VM_STATE: Record<string, string> = {
  BUILD: 'building',
  ACTIVE: 'active',
  SHUTOFF: 'stopped',
  ERROR: 'error',
  DELETED: 'deleted',
};

/** Nova's task_state for ours: the build steps are Nova's spawning / networking / block_device_mapping. */
const TASK_STATE: Record<string, string> = {
  scheduling: 'scheduling',
  pulling_image: 'spawning',
  spawning: 'spawning',
  networking: 'networking',
  attaching_volume: 'block_device_mapping',
  deleting: 'deleting',
  'powering-off': 'powering-off',
  'powering-on': 'powering-on',
  rebooting: 'rebooting',
};

/** A host's id as Nova shows it to a tenant: a hash of project and host, never the host's name. */
function hostId(projectId: string, host: string | null): string {
  if (!host) return '';
  return createHash('sha224').update(`${projectId}${host}`).digest('hex');
}

export const serverLinks = (base: string, id: string) => [
  { rel: 'self', href: `${base}/compute/v2.1/servers/${id}` },
  { rel: 'bookmark', href: `${base}/compute/servers/${id}` },
];

/** GET /servers: id, name and links. */
export function serverBrief(v: InstanceView, base: string) {
  return { id: v.id, name: v.name, links: serverLinks(base, v.id) };
}

/** GET /servers/{id} and /servers/detail at microversion 2.1: the fields clients parse strictly. */
export function serverDetail(v: InstanceView, base: string, extra: ServerExtra | null) {
  const addresses: Record<string, unknown[]> = {};
  for (const a of v.addresses) {
    (addresses[a.network] ??= []).push({
      version: a.ip.includes(':') ? 6 : 4,
      addr: a.ip,
      'OS-EXT-IPS:type': 'fixed',
      'OS-EXT-IPS-MAC:mac_addr': a.mac,
    });
  }
  const metadata = Object.fromEntries(Object.entries(extra?.metadata ?? {}).map(([k, val]) => [k, String(val)]));
  return {
    ...serverBrief(v, base),
    status: v.status,
    tenant_id: v.projectId,
    user_id: extra?.userId ?? v.projectId,
    metadata,
    hostId: hostId(v.projectId, v.host),
    image: { id: v.imageId, links: [{ rel: 'bookmark', href: `${base}/compute/images/${v.imageId}` }] },
    flavor: { id: String(v.flavorId), links: [{ rel: 'bookmark', href: `${base}/compute/flavors/${v.flavorId}` }] },
    created: isoSeconds(v.createdAt),
    updated: isoSeconds(v.updatedAt),
    addresses,
    accessIPv4: '',
    accessIPv6: '',
    key_name: extra?.keyName ?? null,
    config_drive: '',
    progress: v.status === 'ACTIVE' ? 100 : 0,
    'OS-DCF:diskConfig': 'MANUAL',
    'OS-EXT-AZ:availability_zone': 'nova',
    'OS-EXT-STS:vm_state': VM_STATE[v.status] ?? 'error',
    'OS-EXT-STS:task_state': v.taskState ? (TASK_STATE[v.taskState] ?? v.taskState) : null,
    'OS-EXT-STS:power_state': v.powerState,
    'OS-EXT-SRV-ATTR:host': v.host,
    'OS-EXT-SRV-ATTR:hypervisor_hostname': v.host,
    'OS-EXT-SRV-ATTR:instance_name': `instance-${v.id.slice(0, 8)}`,
    'OS-SRV-USG:launched_at': novaTime(v.launchedAt),
    'OS-SRV-USG:terminated_at': null,
    'os-extended-volumes:volumes_attached': v.volumes.map((vol) => ({ id: vol.id })),
    security_groups: [{ name: 'default' }],
    ...(v.fault
      ? {
          fault: {
            code: 500,
            message: `${v.fault.code}: ${v.fault.message}`.slice(0, 255),
            created: isoSeconds(v.updatedAt),
            details: [v.fault.step && `step ${v.fault.step}`, v.fault.host && `host ${v.fault.host}`]
              .filter(Boolean)
              .join(', '),
          },
        }
      : {}),
  };
}
