import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../core/errors.js';
import { planDnsServers, planNetwork, planSegmentation } from '../../core/network/network-spec.js';

/** Asserts a ValidationError on `field` whose message matches. */
function refuses(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    assert.equal(err.field, field);
    assert.match(err.message, message);
    return true;
  });
}

describe('planSegmentation', () => {
  it('keeps flat without an id, and vlan/vxlan ids at both ends of their ranges', () => {
    assert.deepEqual(planSegmentation({ type: 'flat' }), { type: 'flat', id: null });
    assert.deepEqual(planSegmentation({ type: 'flat', id: null }), { type: 'flat', id: null });
    assert.deepEqual(planSegmentation({ type: 'vlan', id: 1 }), { type: 'vlan', id: 1 });
    assert.deepEqual(planSegmentation({ type: 'vlan', id: 4094 }), { type: 'vlan', id: 4094 });
    assert.deepEqual(planSegmentation({ type: 'vxlan', id: 1 }), { type: 'vxlan', id: 1 });
    assert.deepEqual(planSegmentation({ type: 'vxlan', id: 16_777_215 }), { type: 'vxlan', id: 16_777_215 });
  });

  it('refuses ids out of range, missing ids, an id on a flat network and unknown types', () => {
    refuses(() => planSegmentation({ type: 'vlan', id: 0 }), 'segmentation.id', /VLAN id is 1-4094 \(got 0\)/);
    refuses(() => planSegmentation({ type: 'vlan', id: 4095 }), 'segmentation.id', /VLAN id is 1-4094 \(got 4095\)/);
    refuses(() => planSegmentation({ type: 'vlan', id: 100.5 }), 'segmentation.id', /1-4094/);
    refuses(() => planSegmentation({ type: 'vxlan', id: 16_777_216 }), 'segmentation.id', /VXLAN VNI is 1-16777215/);
    refuses(() => planSegmentation({ type: 'vxlan', id: -3 }), 'segmentation.id', /VXLAN VNI/);
    refuses(() => planSegmentation({ type: 'vlan' }), 'segmentation.id', /needs a VLAN id \(1-4094\)/);
    refuses(() => planSegmentation({ type: 'vxlan', id: null }), 'segmentation.id', /needs a VXLAN VNI/);
    refuses(() => planSegmentation({ type: 'flat', id: 7 }), 'segmentation.id', /flat network has no segmentation id/);
    refuses(() => planSegmentation({ type: 'gre' as never, id: 7 }), 'segmentation.type', /not flat, vlan or vxlan/);
  });
});

describe('planDnsServers', () => {
  it('accepts IPv4 and IPv6 resolvers and normalizes them', () => {
    assert.deepEqual(planDnsServers(undefined), []);
    assert.deepEqual(planDnsServers(['192.0.2.53', '2001:DB8::53']), ['192.0.2.53', '2001:db8::53']);
  });

  it('refuses what is not an address, duplicates and more than five', () => {
    refuses(() => planDnsServers(['dns.example.com']), 'dnsServers', /dns\.example\.com is not an IP address/);
    refuses(() => planDnsServers(['10']), 'dnsServers', /not an IP address/);
    refuses(() => planDnsServers(['0x0a.0.0.1']), 'dnsServers', /not an IP address/);
    refuses(() => planDnsServers(['192.0.2.1/24']), 'dnsServers', /not an IP address/);
    refuses(() => planDnsServers(['fe80::1%eth0']), 'dnsServers', /not an IP address/);
    refuses(() => planDnsServers(['2001:db8::1', '2001:DB8:0::1']), 'dnsServers', /listed twice/);
    refuses(
      () => planDnsServers(['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', '1.1.1.5', '1.1.1.6']),
      'dnsServers',
      /at most 5/,
    );
  });
});

describe('planNetwork', () => {
  it('plans subnet, segmentation and resolvers together', () => {
    const plan = planNetwork({
      name: 'n1',
      cidr: '10.1.0.0/28',
      allocationStart: '10.1.0.4',
      allocationEnd: '10.1.0.9',
      dnsServers: ['192.0.2.53'],
      segmentation: { type: 'vxlan', id: 5001 },
    });
    assert.deepEqual(plan, {
      name: 'n1',
      cidr: '10.1.0.0/28',
      gateway: '10.1.0.1',
      allocationStart: '10.1.0.4',
      allocationEnd: '10.1.0.9',
      allocatable: 6,
      dnsServers: ['192.0.2.53'],
      segmentation: { type: 'vxlan', id: 5001 },
    });
  });

  it('refuses an allocation range that leaves the CIDR, whatever else is right', () => {
    refuses(
      () =>
        planNetwork({ name: 'n1', cidr: '10.1.0.0/28', allocationEnd: '10.1.0.15', segmentation: { type: 'flat' } }),
      'allocationEnd',
      /not a host address of 10\.1\.0\.0\/28/,
    );
    refuses(
      () => planNetwork({ name: 'n1', cidr: '10.1.0.0/33', segmentation: { type: 'flat' } }),
      'cidr',
      /not a CIDR/,
    );
  });
});
