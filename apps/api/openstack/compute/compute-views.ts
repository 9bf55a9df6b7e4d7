import type { Flavor } from '../../../../core/db/entities/index.js';
import type { HostView } from '../../../../core/scheduling/host-registry.js';
import { novaTime } from '../common/endpoints.js';

export const COMPUTE_VERSION = (base: string) => ({
  id: 'v2.1',
  status: 'CURRENT',
  version: '2.1',
  min_version: '2.1',
  updated: '2013-07-23T11:33:21Z',
  links: [{ rel: 'self', href: `${base}/compute/v2.1/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
});

const flavorLinks = (base: string, id: string) => [
  { rel: 'self', href: `${base}/compute/v2.1/flavors/${id}` },
  { rel: 'bookmark', href: `${base}/compute/flavors/${id}` },
];

export const flavorBrief = (f: Flavor, base: string) => ({ id: f.id, name: f.name, links: flavorLinks(base, f.id) });

export function flavorDetail(f: Flavor, base: string) {
  return {
    ...flavorBrief(f, base),
    vcpus: f.vcpus,
    ram: f.ramMb,
    disk: f.diskGb,
    swap: '',
    rxtx_factor: 1.0,
    'OS-FLV-EXT-DATA:ephemeral': 0,
    'OS-FLV-DISABLED:disabled': false,
    'os-flavor-access:is_public': true,
  };
}

/** Nova's os-services: each compute agent is a nova-compute service. */
export function serviceView(h: HostView, index: number) {
  return {
    id: index + 1,
    binary: 'nova-compute',
    host: h.name,
    zone: 'nova',
    status: h.status === 'disabled' ? 'disabled' : 'enabled',
    state: h.status === 'up' ? 'up' : 'down',
    updated_at: h.lastHeartbeatAt ? novaTime(h.lastHeartbeatAt) : null,
    disabled_reason: h.disabledReason,
    forced_down: false,
  };
}

/** os-hypervisors/detail at 2.1: integer ids, usage next to capacity. */
export function hypervisorView(h: HostView, index: number) {
  return {
    id: index + 1,
    hypervisor_hostname: h.name,
    hypervisor_type: h.hypervisorType ?? 'fake',
    hypervisor_version: 1,
    host_ip: '127.0.0.1',
    state: h.status === 'up' ? 'up' : 'down',
    status: h.status === 'disabled' ? 'disabled' : 'enabled',
    vcpus: h.vcpus,
    vcpus_used: h.vcpusUsed,
    memory_mb: h.ramMb,
    memory_mb_used: h.ramMbUsed,
    free_ram_mb: h.ramMb - h.ramMbUsed,
    local_gb: h.diskGb,
    local_gb_used: h.diskGbUsed,
    free_disk_gb: h.diskGb - h.diskGbUsed,
    disk_available_least: h.diskGbFree,
    running_vms: h.instances,
    current_workload: 0,
    cpu_info: '{}',
    service: { id: index + 1, host: h.name, disabled_reason: h.disabledReason },
  };
}

export function limitsView(quotas: Record<string, number | null>, usage: Record<string, number>) {
  const max = (v: number | null) => v ?? -1;
  return {
    limits: {
      rate: [],
      absolute: {
        maxTotalInstances: max(quotas.instances),
        maxTotalCores: max(quotas.vcpus),
        maxTotalRAMSize: max(quotas.ramMb),
        totalInstancesUsed: usage.instances,
        totalCoresUsed: usage.vcpus,
        totalRAMUsed: usage.ramMb,
        maxServerMeta: 128,
        maxImageMeta: 128,
        maxPersonality: 5,
        maxPersonalitySize: 10240,
        maxTotalKeypairs: 100,
        maxServerGroups: 10,
        maxServerGroupMembers: 10,
        maxSecurityGroups: -1,
        maxSecurityGroupRules: -1,
        maxTotalFloatingIps: -1,
        totalFloatingIpsUsed: 0,
        totalSecurityGroupsUsed: 0,
        totalServerGroupsUsed: 0,
      },
    },
  };
}
