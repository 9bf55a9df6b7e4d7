import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../core/errors.js';
import { intToIpv4, ipv4ToInt, planSubnet } from '../../core/network/subnet.js';

/** Asserts a ValidationError on `field` whose message matches. */
function refuses(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    assert.equal(err.field, field);
    assert.equal(err.code, 'ValidationFailed');
    assert.match(err.message, message);
    return true;
  });
}

describe('planSubnet', () => {
  it('defaults the gateway to the first address and the range to every other host address', () => {
    assert.deepEqual(planSubnet({ cidr: '10.0.0.0/24' }), {
      cidr: '10.0.0.0/24',
      gateway: '10.0.0.1',
      allocationStart: '10.0.0.1',
      allocationEnd: '10.0.0.254',
      allocatable: 253,
    });
  });

  it('never offers the network or broadcast address', () => {
    const plan = planSubnet({ cidr: '192.168.8.0/29' });
    assert.equal(plan.allocationStart, '192.168.8.1');
    assert.equal(plan.allocationEnd, '192.168.8.6');
    // 6 host addresses, minus the gateway.
    assert.equal(plan.allocatable, 5);
  });

  it('takes an explicit gateway and range, counting the gateway out only when inside the range', () => {
    const inside = planSubnet({ cidr: '10.1.0.0/28', gateway: '10.1.0.14' });
    assert.equal(inside.gateway, '10.1.0.14');
    assert.equal(inside.allocatable, 13);
    const outside = planSubnet({
      cidr: '10.1.0.0/28',
      gateway: '10.1.0.1',
      allocationStart: '10.1.0.5',
      allocationEnd: '10.1.0.9',
    });
    assert.deepEqual(
      [outside.gateway, outside.allocationStart, outside.allocationEnd, outside.allocatable],
      ['10.1.0.1', '10.1.0.5', '10.1.0.9', 5],
    );
  });

  it('refuses what is not a CIDR', () => {
    refuses(() => planSubnet({ cidr: 'not-a-cidr' }), 'cidr', /not a CIDR/);
    refuses(() => planSubnet({ cidr: '10.0.0.0' }), 'cidr', /not a CIDR/);
    refuses(() => planSubnet({ cidr: '10.0.0.256/24' }), 'cidr', /not a CIDR/);
    refuses(() => planSubnet({ cidr: '10.0.0.0/33' }), 'cidr', /not a CIDR/);
  });

  it('refuses IPv6', () => {
    refuses(() => planSubnet({ cidr: 'fd00::/64' }), 'cidr', /only IPv4/);
  });

  it('refuses host bits set and says which network was meant', () => {
    refuses(() => planSubnet({ cidr: '10.0.0.5/24' }), 'cidr', /host bits set; did you mean 10\.0\.0\.0\/24\?/);
  });

  it('refuses prefixes out of range', () => {
    refuses(() => planSubnet({ cidr: '10.0.0.0/30' }), 'cidr', /\/30 is out of range/);
    refuses(() => planSubnet({ cidr: '10.0.0.0/32' }), 'cidr', /\/32 is out of range/);
    refuses(() => planSubnet({ cidr: '10.0.0.0/7' }), 'cidr', /\/7 is out of range/);
    assert.equal(planSubnet({ cidr: '10.0.0.0/8' }).allocatable, 2 ** 24 - 3);
  });

  it('refuses a gateway outside the subnet, or on its network or broadcast address', () => {
    refuses(
      () => planSubnet({ cidr: '10.1.0.0/28', gateway: '10.2.0.1' }),
      'gateway',
      /not a host address of 10\.1\.0\.0\/28/,
    );
    refuses(() => planSubnet({ cidr: '10.1.0.0/28', gateway: '10.1.0.0' }), 'gateway', /not a host address/);
    refuses(() => planSubnet({ cidr: '10.1.0.0/28', gateway: '10.1.0.15' }), 'gateway', /not a host address/);
    refuses(() => planSubnet({ cidr: '10.1.0.0/28', gateway: 'gateway' }), 'gateway', /not an IPv4 address/);
  });

  it('refuses a range that is backwards, outside, or holds only the gateway', () => {
    refuses(
      () => planSubnet({ cidr: '10.1.0.0/28', allocationStart: '10.1.0.9', allocationEnd: '10.1.0.5' }),
      'allocationStart',
      /starts after it ends/,
    );
    refuses(
      () => planSubnet({ cidr: '10.1.0.0/28', allocationEnd: '10.1.1.3' }),
      'allocationEnd',
      /not a host address/,
    );
    refuses(
      () =>
        planSubnet({
          cidr: '10.1.0.0/28',
          gateway: '10.1.0.4',
          allocationStart: '10.1.0.4',
          allocationEnd: '10.1.0.4',
        }),
      'cidr',
      /no address besides the gateway/,
    );
  });

  it('converts addresses to integers and back, across the whole 32-bit range', () => {
    for (const a of ['0.0.0.0', '10.0.0.1', '128.0.0.0', '255.255.255.255']) assert.equal(intToIpv4(ipv4ToInt(a)), a);
    assert.equal(ipv4ToInt('255.255.255.255'), 2 ** 32 - 1);
    assert.equal(ipv4ToInt('10.0.1.0') - ipv4ToInt('10.0.0.255'), 1);
  });
});
