import ipaddr from 'ipaddr.js';
import type { Segmentation, SegmentationType } from '../../contracts/network.js';
import { ValidationError } from '../errors.js';
import { planSubnet, type SubnetPlan, type SubnetRequest } from './subnet.js';

export type { SegmentationType };

export interface SegmentationRequest {
  type: SegmentationType;
  id?: number | null;
}

export interface NetworkRequest extends SubnetRequest {
  /** A caller-chosen id (a Neutron network that got its subnet later); default: a new one. */
  id?: string;
  name: string;
  dnsServers?: string[] | null;
  segmentation: SegmentationRequest;
}

export interface NetworkPlan extends SubnetPlan {
  name: string;
  dnsServers: string[];
  segmentation: Segmentation;
}

/** 802.1Q leaves 0 and 4095 reserved; a VXLAN VNI is 24 bits (0 is not used). */
export const SEGMENTATION_ID_RANGE = { vlan: { min: 1, max: 4094 }, vxlan: { min: 1, max: 16_777_215 } } as const;

/** Neutron's default `max_dns_nameservers`. */
export const MAX_DNS_SERVERS = 5;

/** The segmentation as stored: flat has no id, vlan and vxlan need one in their range. */
export function planSegmentation(seg: SegmentationRequest): Segmentation {
  const id = seg.id ?? null;
  if (seg.type === 'flat') {
    if (id !== null) throw new ValidationError('segmentation.id', 'a flat network has no segmentation id');
    return { type: 'flat', id: null };
  }
  const range = SEGMENTATION_ID_RANGE[seg.type];
  if (!range) throw new ValidationError('segmentation.type', `${String(seg.type)} is not flat, vlan or vxlan`);
  const what = seg.type === 'vlan' ? 'a VLAN id' : 'a VXLAN VNI';
  if (id === null)
    throw new ValidationError('segmentation.id', `a ${seg.type} network needs ${what} (${range.min}-${range.max})`);
  if (!Number.isInteger(id) || id < range.min || id > range.max) {
    throw new ValidationError('segmentation.id', `${what} is ${range.min}-${range.max} (got ${id})`);
  }
  return { type: seg.type, id };
}

/** Resolvers a port's guest is told about: IPv4 or IPv6 addresses, each once, at most five. */
export function planDnsServers(servers: string[] | null | undefined): string[] {
  const list = servers ?? [];
  if (list.length > MAX_DNS_SERVERS)
    throw new ValidationError('dnsServers', `at most ${MAX_DNS_SERVERS} DNS servers (got ${list.length})`);
  const seen = new Set<string>();
  return list.map((raw) => {
    // Four-part decimal only (ipaddr.js also takes "10" or "0x0a.1"), and no IPv6 zone: a guest's resolv.conf
    // holds neither.
    if (
      typeof raw !== 'string' ||
      !(ipaddr.IPv4.isValidFourPartDecimal(raw) || ipaddr.IPv6.isValid(raw)) ||
      raw.includes('%')
    ) {
      throw new ValidationError('dnsServers', `${String(raw)} is not an IP address`);
    }
    const normalized = ipaddr.process(raw).toString();
    if (seen.has(normalized)) throw new ValidationError('dnsServers', `${raw} is listed twice`);
    seen.add(normalized);
    return normalized;
  });
}

/**
 * Validates everything about a new network that needs no other network to judge: the
 * subnet (CIDR, gateway, allocation range inside it), the segmentation and the DNS
 * servers. Overlaps and ids already in use are the NetworkService's to check.
 */
export function planNetwork(req: NetworkRequest): NetworkPlan {
  const subnet = planSubnet(req);
  return {
    ...subnet,
    name: req.name,
    dnsServers: planDnsServers(req.dnsServers),
    segmentation: planSegmentation(req.segmentation),
  };
}
