import type { Network, NeutronNetwork } from '../../../../core/db/entities/index.js';
import type { PortRow } from '../../../../core/network/port-listing.js';
import { intToIpv4, ipv4ToInt } from '../../../../core/network/subnet.js';
import { isoSeconds } from '../common/endpoints.js';

const common = (created: Date | string, projectId: string | null) => ({
  tenant_id: projectId ?? '',
  project_id: projectId ?? '',
  created_at: isoSeconds(created),
  updated_at: isoSeconds(created),
  description: '',
  tags: [],
  revision_number: 1,
});

/** A Nimbus network (with its one subnet), or a Neutron one still waiting for its subnet. */
export function neutronNetwork(n: Network | null, pending: NeutronNetwork | null) {
  const id = n?.id ?? pending!.id;
  return {
    ...common(n?.createdAt ?? pending!.createdAt, pending?.projectId ?? null),
    id,
    name: n?.name ?? pending!.name,
    status: 'ACTIVE',
    admin_state_up: true,
    shared: !pending,
    subnets: n ? [n.id] : [],
    mtu: 1450,
    'provider:network_type': n?.segmentationType ?? 'vxlan',
    'provider:segmentation_id': n?.segmentationId ?? null,
    'provider:physical_network': null,
    'router:external': false,
    availability_zones: ['nova'],
    availability_zone_hints: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    port_security_enabled: true,
    is_default: false,
  };
}

/** Neutron's pools leave the gateway out; ours may start on it (the allocator skips it). */
function poolStart(n: Network): string {
  return n.allocationStart === n.gateway ? intToIpv4(ipv4ToInt(n.gateway) + 1) : n.allocationStart;
}

/** Each Nimbus network's one subnet, under the network's own id. */
export function neutronSubnet(n: Network, neutron: NeutronNetwork | null) {
  return {
    ...common(n.createdAt, neutron?.projectId ?? null),
    id: n.id,
    name: neutron?.subnetName ?? `${n.name}-subnet`,
    network_id: n.id,
    ip_version: 4,
    cidr: n.cidr,
    gateway_ip: n.gateway,
    allocation_pools: [{ start: poolStart(n), end: n.allocationEnd }],
    dns_nameservers: n.dnsServers ?? [],
    host_routes: [],
    service_types: [],
    enable_dhcp: true,
    ipv6_address_mode: null,
    ipv6_ra_mode: null,
    subnetpool_id: null,
    segment_id: null,
  };
}

export function neutronPort(p: PortRow) {
  return {
    ...common(p.createdAt, p.projectId),
    id: p.id,
    name: '',
    network_id: p.networkId,
    mac_address: p.mac,
    fixed_ips: p.ip ? [{ subnet_id: p.networkId, ip_address: p.ip }] : [],
    device_id: p.instanceId ?? '',
    device_owner: p.instanceId ? 'compute:nova' : '',
    status: p.status === 'active' ? 'ACTIVE' : 'DOWN',
    admin_state_up: true,
    'binding:host_id': p.host ?? '',
    'binding:vif_type': 'bridge',
    'binding:vnic_type': 'normal',
    'binding:vif_details': {},
    'binding:profile': {},
    security_groups: [],
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    port_security_enabled: true,
    dns_name: '',
    dns_assignment: [],
  };
}

/** Neutron's `fields=` projection: only the named keys (all when none is named). */
export function project<T extends Record<string, unknown>>(item: T, fields: string[]): Partial<T> {
  if (fields.length === 0) return item;
  return Object.fromEntries(Object.entries(item).filter(([k]) => fields.includes(k))) as Partial<T>;
}

/** A query parameter Neutron lets repeat (`fields=a&fields=b`, `id=a&id=b`) as a list. */
export function many(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}
