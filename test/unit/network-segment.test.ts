/**
 * Segments on real namespaces (no lock: plain `ip`): the dev stack's fabric joins machines,
 * ensureSegment wires a network's bridge over each machine's uplink, and guests' stand-ins
 * (addresses on the bridges) reach each other on one network and not across networks.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createFabric, type Fabric, type Machine } from '../../devstack/fabric.js';
import { DomainError } from '../../core/errors.js';
import { ipRunner, listNetns } from '../../core/network/linux/ip.js';
import { ensureSegment, probeVlanSupport, removeSegment } from '../../core/network/linux/segment.js';
import { bridgeName } from '../../core/network/port-binding.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const skip = !isRoot && process.env.CI !== 'true' ? 'needs root for network namespaces' : false;

const [netA, netB, netC, netD] = ['a1111111-0000-4000-8000-000000000001', 'b2222222', 'c3333333', 'd4444444'];

/** One ICMP echo from the machine's namespace (busybox: Debian's iputils-ping is not installed). */
async function pings(m: Machine, addr: string): Promise<boolean> {
  const ok = await run('ip', ['netns', 'exec', m.netns, 'busybox', 'ping', '-c', '1', '-W', '2', addr]).then(
    () => true,
    () => false,
  );
  return ok;
}

describe('segments over a fabric of namespaces', { skip }, () => {
  let fabric: Fabric;
  let m1: Machine, m2: Machine, m3: Machine;
  const prefix = `ng${process.pid}-`;

  before(async () => {
    assert.ok(isRoot, 'CI=true: the segment tests need root');
    fabric = await createFabric(prefix);
    m1 = await fabric.joinFabric('m1');
    m2 = await fabric.joinFabric('m2');
    m3 = await fabric.joinFabric('m3');
  });
  after(async () => fabric?.destroy());

  it('gives each machine its own namespace, uplink and underlay address, and a second join changes nothing', async () => {
    assert.equal(m1.netns, `${prefix}m1`);
    assert.notEqual(m1.underlayIp, m2.underlayIp);
    assert.deepEqual(await fabric.joinFabric('m1'), m1);
    assert.equal((await ipRunner(m1.netns).link('uplink'))?.mtu, 1600);
    assert.ok(await pings(m1, m2.underlayIp));
  });

  it('joins one network across machines by VXLAN and keeps another network apart', async () => {
    const seg = { type: 'vxlan' as const, id: 4242 };
    const started = performance.now();
    const s1 = await ensureSegment(ipRunner(m1.netns), { networkId: netA, segmentation: seg, ...m1 });
    const elapsed = performance.now() - started;
    const s2 = await ensureSegment(ipRunner(m2.netns), { networkId: netA, segmentation: seg, ...m2 });
    const s3 = await ensureSegment(ipRunner(m3.netns), {
      networkId: netB,
      segmentation: { type: 'vxlan', id: 4243 },
      ...m3,
    });
    assert.deepEqual(s1, { bridge: bridgeName(netA), segmentDevice: 'vxlan-4242' });
    assert.ok(s1.bridge.length <= 15);
    assert.deepEqual(s2, s1);
    assert.equal(s3.segmentDevice, 'vxlan-4243');
    // A retry finds everything in place.
    assert.deepEqual(await ensureSegment(ipRunner(m1.netns), { networkId: netA, segmentation: seg, ...m1 }), s1);
    const vx = await ipRunner(m1.netns).link('vxlan-4242');
    assert.equal(vx?.master, s1.bridge);
    assert.equal(vx?.linkinfo?.info_data?.id, 4242);
    for (const [m, s, addr] of [
      [m1, s1, '10.9.0.1'],
      [m2, s2, '10.9.0.2'],
      [m3, s3, '10.9.0.3'],
    ] as const) {
      await ipRunner(m.netns).run(['addr', 'add', `${addr}/24`, 'dev', s.bridge]);
    }
    assert.ok(await pings(m1, '10.9.0.2'), 'same network, other machine');
    assert.equal(await pings(m1, '10.9.0.3'), false, 'another network is cut off');
    console.log(`ensureSegment (bridge + vxlan) on a fresh machine: ${elapsed.toFixed(0)} ms`);
  });

  it('carries a VLAN as an 8021q sub-interface where the kernel has one, else as VXLAN with VNI = VLAN id', async () => {
    const ip = ipRunner(m1.netns);
    const vlan = await probeVlanSupport(ip);
    const req = { networkId: netC, segmentation: { type: 'vlan' as const, id: 4242 }, ...m1 };
    if (vlan) {
      assert.equal((await ensureSegment(ip, req)).segmentDevice, 'vlan-4242');
      await removeSegment(ip, netC);
      return;
    }
    // VNI 4242 already carries network A here: joining C to it would bridge two networks.
    await assert.rejects(ensureSegment(ip, req), (err: DomainError) => err.code === 'VifBindingInvalid');
    const other = await ensureSegment(ip, { ...req, segmentation: { type: 'vlan', id: 77 } });
    assert.equal(other.segmentDevice, 'vxlan-77');
    await removeSegment(ip, netC);
  });

  it('bridges the physical interface itself for a flat network and only releases it on removal', async () => {
    const ip = ipRunner(m2.netns);
    const s = await ensureSegment(ip, { networkId: netD, segmentation: { type: 'flat', id: null }, ...m2 });
    assert.equal(s.segmentDevice, 'physnet');
    assert.equal((await ip.link('physnet'))?.master, s.bridge);
    await removeSegment(ip, netD);
    assert.equal(await ip.link(s.bridge), null);
    const physnet = await ip.link('physnet');
    assert.ok(physnet && !physnet.master, 'physnet stays, out of any bridge');
  });

  it('removes a bridge with its VXLAN device, once or twice', async () => {
    const ip = ipRunner(m1.netns);
    await removeSegment(ip, netA);
    await removeSegment(ip, netA);
    assert.equal(await ip.link(bridgeName(netA)), null);
    assert.equal(await ip.link('vxlan-4242'), null);
    assert.equal(await pings(m2, '10.9.0.1'), false);
  });

  it('tears the fabric down to no namespace of its prefix', async () => {
    await fabric.destroy();
    assert.deepEqual(
      (await listNetns()).filter((n) => n.startsWith(prefix)),
      [],
    );
  });
});
