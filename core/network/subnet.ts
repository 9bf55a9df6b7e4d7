import ipaddr from 'ipaddr.js';
import { ValidationError } from '../errors.js';

export interface SubnetRequest {
  cidr: string;
  gateway?: string | null;
  allocationStart?: string | null;
  allocationEnd?: string | null;
}

export interface SubnetPlan {
  cidr: string;
  gateway: string;
  allocationStart: string;
  allocationEnd: string;
  /** Addresses in the allocation range, the gateway excluded. */
  allocatable: number;
}

export function ipv4ToInt(address: string): number {
  return ipaddr.IPv4.parse(address)
    .toByteArray()
    .reduce((acc, byte) => acc * 256 + byte, 0);
}

export function intToIpv4(value: number): string {
  return new ipaddr.IPv4([(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]).toString();
}

function parseIpv4(field: string, value: string): ipaddr.IPv4 {
  if (!ipaddr.IPv4.isValidFourPartDecimal(value)) throw new ValidationError(field, `${value} is not an IPv4 address`);
  return ipaddr.IPv4.parse(value);
}

/**
 * Validates a subnet and fills in what the caller left out, as Neutron does: the gateway
 * defaults to the first host address, the allocation range to every host address. The
 * network and broadcast addresses are never handed out.
 */
export function planSubnet(req: SubnetRequest): SubnetPlan {
  let network: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    network = ipaddr.parseCIDR(req.cidr);
  } catch {
    throw new ValidationError('cidr', `${req.cidr} is not a CIDR (e.g. 10.1.0.0/24)`);
  }
  const [addr, prefix] = network;
  if (addr.kind() !== 'ipv4') throw new ValidationError('cidr', 'only IPv4 networks are supported');
  if (prefix < 8 || prefix > 29) throw new ValidationError('cidr', `prefix /${prefix} is out of range (/8 to /29)`);
  const networkAddr = ipaddr.IPv4.networkAddressFromCIDR(req.cidr).toString();
  if (networkAddr !== addr.toString()) {
    throw new ValidationError('cidr', `${req.cidr} has host bits set; did you mean ${networkAddr}/${prefix}?`);
  }
  const first = ipv4ToInt(networkAddr) + 1;
  const last = ipv4ToInt(ipaddr.IPv4.broadcastAddressFromCIDR(req.cidr).toString()) - 1;
  const inSubnet = (field: string, value: string): number => {
    const n = ipv4ToInt(parseIpv4(field, value).toString());
    if (n < first || n > last) throw new ValidationError(field, `${value} is not a host address of ${req.cidr}`);
    return n;
  };
  const gateway = req.gateway ? inSubnet('gateway', req.gateway) : first;
  const start = req.allocationStart ? inSubnet('allocationStart', req.allocationStart) : first;
  const end = req.allocationEnd ? inSubnet('allocationEnd', req.allocationEnd) : last;
  if (start > end) throw new ValidationError('allocationStart', 'allocation range starts after it ends');
  const allocatable = end - start + 1 - (gateway >= start && gateway <= end ? 1 : 0);
  if (allocatable < 1) throw new ValidationError('cidr', 'the allocation range holds no address besides the gateway');
  return {
    cidr: `${networkAddr}/${prefix}`,
    gateway: intToIpv4(gateway),
    allocationStart: intToIpv4(start),
    allocationEnd: intToIpv4(end),
    allocatable,
  };
}
