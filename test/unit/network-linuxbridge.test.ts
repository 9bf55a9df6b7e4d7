/**
 * The linuxbridge VIF driver on a real machine namespace (no lock: plain `ip`): taps on the
 * network's bridge, the bridge and its VXLAN device made with the first port and removed
 * with the last, and what reconciliation sees.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFabric, type Fabric, type Machine } from '../../devstack/fabric.js';
import { ipRunner } from '../../core/network/linux/ip.js';
import { bindPort } from '../../core/network/port-binding.js';
import { LinuxBridgeVifDriver } from '../../core/network/vif/linuxbridge-vif-driver.js';
import { createVifDriver } from '../../core/network/vif/vif-driver-factory.js';
import { FakeVifDriver } from '../../core/network/vif/fake-vif-driver.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && process.env.CI !== 'true' ? 'needs root for network namespaces' : false;
const networkId = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const seg = { type: 'vxlan' as const, id: 5005 };
const port = (n: number) => ({
  instanceId: `i-${n}`,
  portId: `${n}f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b`,
  mac: `fa:16:3e:00:00:0${n}`,
  networkId,
  binding: bindPort({ portId: `${n}f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b`, networkId, segmentation: seg }),
});

describe('LinuxBridgeVifDriver', { skip }, () => {
  let fabric: Fabric;
  let m: Machine;
  let vifs: LinuxBridgeVifDriver;

  before(async () => {
    assert.ok(isRoot, 'CI=true: the linuxbridge tests need root');
    fabric = await createFabric(`nl${process.pid}-`);
    m = await fabric.joinFabric('h1');
    vifs = new LinuxBridgeVifDriver({ ip: ipRunner(m.netns), uplink: m.uplink, localIp: m.underlayIp });
  });
  after(async () => fabric?.destroy());

  it('puts a tap per port on the network bridge, made with the first port, and a second plug changes nothing', async () => {
    const started = performance.now();
    const first = await vifs.plug(port(1));
    console.log(`plug (bridge + vxlan + tap): ${(performance.now() - started).toFixed(0)} ms`);
    const again = performance.now();
    await vifs.plug(port(2));
    console.log(`plug (tap on an existing bridge): ${(performance.now() - again).toFixed(0)} ms`);
    assert.deepEqual(first, {
      portId: port(1).portId,
      vifType: 'bridge',
      tapDevice: 'tap1f1c9a2e-5b',
      bridge: 'brq9d8c7b6a-5f',
    });
    assert.deepEqual(await vifs.plug(port(1)), first);
    assert.deepEqual(await vifs.devices(), { 'brq9d8c7b6a-5f': ['tap1f1c9a2e-5b', 'tap2f1c9a2e-5b'] });
    const tap = await ipRunner(m.netns).link('tap1f1c9a2e-5b');
    assert.equal(tap?.address, 'fe:16:3e:00:00:01', "the host end's MAC is the guest's with fe first");
    assert.equal((await ipRunner(m.netns).link('vxlan-5005'))?.master, 'brq9d8c7b6a-5f');
  });

  it('removes the tap, and the bridge with its VXLAN device with the last port', async () => {
    const [one, two] = [await vifs.plug(port(1)), await vifs.plug(port(2))];
    await vifs.unplug(one);
    assert.deepEqual(await vifs.devices(), { 'brq9d8c7b6a-5f': ['tap2f1c9a2e-5b'] });
    await vifs.unplug(two);
    await vifs.unplug(two);
    assert.deepEqual(await vifs.devices(), {});
    assert.equal(await ipRunner(m.netns).link('vxlan-5005'), null);
  });

  it('plugs and unplugs ports of one network concurrently without losing a bridge', async () => {
    const ports = [1, 2, 3, 4].map(port);
    await Promise.all(ports.map((p) => vifs.plug(p)));
    const plugged = await Promise.all(ports.map((p) => vifs.plug(p)));
    await Promise.all([vifs.unplug(plugged[0]), vifs.unplug(plugged[1]), vifs.plug(port(5))]);
    assert.deepEqual(Object.keys(await vifs.devices()), ['brq9d8c7b6a-5f']);
    for (const p of [...plugged.slice(2), await vifs.plug(port(5))]) await vifs.unplug(p);
    assert.deepEqual(await vifs.devices(), {});
  });

  it('removes leftovers by name: a tap, then a bridge with its segment, but not a bridge that has a tap', async () => {
    await vifs.plug(port(1));
    await vifs.remove('brq9d8c7b6a-5f');
    assert.deepEqual(await vifs.devices(), { 'brq9d8c7b6a-5f': ['tap1f1c9a2e-5b'] }, 'a plug came in between');
    await vifs.remove('tap1f1c9a2e-5b');
    await vifs.remove('brq9d8c7b6a-5f');
    assert.deepEqual(await vifs.devices(), {});
    assert.equal(await ipRunner(m.netns).link('vxlan-5005'), null);
  });

  it('is what a root QEMU host gets; the fake hypervisor and unprivileged hosts get the fake', async () => {
    const real = await createVifDriver({ hypervisor: 'qemu', netns: m.netns, uplink: 'uplink', privileged: true });
    assert.ok(real.vifs instanceof LinuxBridgeVifDriver, real.reason);
    assert.match(real.reason, new RegExp(`over uplink \\(${m.underlayIp.replace(/\./g, '\\.')}\\)`));
    assert.ok((await createVifDriver({ hypervisor: 'fake' })).vifs instanceof FakeVifDriver);
    assert.ok((await createVifDriver({ hypervisor: 'qemu', privileged: false })).vifs instanceof FakeVifDriver);
  });
});
