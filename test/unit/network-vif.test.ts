/**
 * Port bindings (the network side decides the host wiring) and the fake VIF driver (the
 * host side carries it out), and the compute activity that joins them to the hypervisor.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createComputeActivities, type ComputeDeps } from '../../activities/compute.js';
import type { PortInfo } from '../../contracts/network.js';
import { DomainError } from '../../core/errors.js';
import { createHypervisorDriver } from '../../core/hypervisor/driver-factory.js';
import { bindPort, bridgeName, MAX_INTERFACE_NAME, tapDeviceName } from '../../core/network/port-binding.js';
import { FakeVifDriver, VifBindingInvalid } from '../../core/network/vif/fake-vif-driver.js';

const portId = '3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const networkId = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

describe('port bindings', () => {
  it('names taps and bridges linuxbridge style, from the ids, within 15 characters', () => {
    const binding = bindPort({ portId, networkId, segmentation: { type: 'vlan', id: 100 } });
    assert.deepEqual(binding, {
      vifType: 'bridge',
      details: { bridge: 'brq9d8c7b6a-5f', tapDevice: 'tap3f1c9a2e-5b', segmentation: { type: 'vlan', id: 100 } },
    });
    for (const name of [binding.details.bridge, binding.details.tapDevice])
      assert.ok(name.length <= MAX_INTERFACE_NAME);
    assert.equal(tapDeviceName('abc'), 'tapabc');
    assert.equal(bridgeName(networkId), `brq${networkId.slice(0, 11)}`);
    assert.equal(bindPort({ portId, networkId, segmentation: { type: 'flat', id: null } }, 'tap').vifType, 'tap');
  });

  it('refuses a segmentation no host could wire', () => {
    assert.throws(() => bindPort({ portId, networkId, segmentation: { type: 'vlan', id: 4095 } }), RangeError);
    assert.throws(() => bindPort({ portId, networkId, segmentation: { type: 'flat', id: 3 } }), RangeError);
    assert.throws(() => bindPort({ portId, networkId, segmentation: { type: 'gre' as 'flat', id: 3 } }), RangeError);
  });
});

describe('FakeVifDriver', () => {
  it("plugs a port on its network's bridge once, and the bridge goes with its last tap", async () => {
    const vifs = new FakeVifDriver();
    const binding = bindPort({ portId, networkId, segmentation: { type: 'vxlan', id: 5001 } });
    const plugged = await vifs.plug({ instanceId: 'i-1', portId, mac: 'fa:16:3e:00:00:01', binding });
    assert.deepEqual(plugged, { portId, vifType: 'bridge', tapDevice: 'tap3f1c9a2e-5b', bridge: 'brq9d8c7b6a-5f' });
    await vifs.plug({ instanceId: 'i-1', portId, mac: 'fa:16:3e:00:00:01', binding });
    const other = bindPort({ portId: 'port-2', networkId, segmentation: { type: 'vxlan', id: 5001 } });
    await vifs.plug({ instanceId: 'i-2', portId: 'port-2', mac: 'fa:16:3e:00:00:02', binding: other });
    assert.deepEqual(await vifs.devices(), { 'brq9d8c7b6a-5f': ['tap3f1c9a2e-5b', 'tapport-2'] });
    await vifs.unplug(plugged);
    await vifs.unplug(plugged);
    assert.deepEqual(await vifs.devices(), { 'brq9d8c7b6a-5f': ['tapport-2'] });
    await vifs.unplug({ portId: 'port-2', tapDevice: 'tapport-2', bridge: 'brq9d8c7b6a-5f' });
    assert.deepEqual(await vifs.devices(), {});
  });

  it('refuses bindings a linuxbridge host could not wire', async () => {
    const vifs = new FakeVifDriver();
    const good = bindPort({ portId, networkId, segmentation: { type: 'flat', id: null } });
    const refused = (binding: unknown) =>
      assert.rejects(
        async () => vifs.plug({ instanceId: 'i-1', portId, mac: 'fa:16:3e:00:00:01', binding: binding as never }),
        (err: unknown) => err instanceof DomainError && err.code === VifBindingInvalid && !err.retryable,
      );
    await refused({ ...good, details: { ...good.details, tapDevice: 'tap-much-too-long-name' } });
    await refused({ ...good, details: { ...good.details, bridge: 'br q' } });
    await refused({ ...good, vifType: 'ovs' });
    await refused({ ...good, details: { ...good.details, segmentation: { type: 'vlan', id: null } } });
  });
});

describe('plugVif / unplugVif activities', () => {
  const nodeDir = mkdtempSync(path.join(os.tmpdir(), 'nimbus-vif-'));
  after(() => rmSync(nodeDir, { recursive: true, force: true }));

  function compute() {
    const driver = createHypervisorDriver({ type: 'fake', nodeDir });
    const vifs = new FakeVifDriver();
    const images = { releaseInstance: () => Promise.resolve() };
    // No database: the port's status is recorded by the workflow after the step (recordPortStatus).
    const deps = { host: 'node-1', driver, vifs, images } as unknown as ComputeDeps;
    return { activities: createComputeActivities(deps), driver, vifs };
  }

  async function spawned(driver: ReturnType<typeof createHypervisorDriver>, instanceId: string): Promise<void> {
    writeFileSync(path.join(nodeDir, 'disk.img'), 'bytes');
    const spec = { instanceId, name: 'web', vcpus: 1, ramMb: 512, diskGb: 1, imageSha256: 'a'.repeat(64) };
    await driver.spawn({ ...spec, imagePath: path.join(nodeDir, 'disk.img') });
  }

  const port: PortInfo = {
    portId,
    networkId,
    networkName: 'default',
    ip: '10.0.0.5',
    mac: 'fa:16:3e:00:00:05',
    segmentation: { type: 'vlan', id: 100 },
    deviceName: 'tap3f1c9a2e-5b',
  };

  it("wires the host from the port's binding, then attaches that device to the domain", async () => {
    const { activities, driver, vifs } = compute();
    await spawned(driver, 'inst-1');
    const binding = bindPort({ ...port, segmentation: { type: 'vlan', id: 100 } }, 'tap');
    await new MockActivityEnvironment().run(activities.plugVif.bind(activities), {
      instanceId: 'inst-1',
      port: { ...port, binding },
    });
    const [vif] = (await driver.getDomain('inst-1'))!.vifs;
    assert.deepEqual([vif.tapDevice, vif.bridge], ['tap3f1c9a2e-5b', null]);
    assert.deepEqual(await vifs.devices(), { '': ['tap3f1c9a2e-5b'] });
  });

  it('derives the binding of a port recorded before bindings existed (old histories)', async () => {
    const { activities, driver, vifs } = compute();
    await spawned(driver, 'inst-2');
    await new MockActivityEnvironment().run(activities.plugVif.bind(activities), { instanceId: 'inst-2', port });
    const [vif] = (await driver.getDomain('inst-2'))!.vifs;
    assert.deepEqual(
      [vif.portId, vif.ip, vif.mac, vif.tapDevice, vif.bridge],
      [portId, port.ip, port.mac, port.deviceName, 'brq9d8c7b6a-5f'],
    );
    assert.deepEqual(await vifs.devices(), { 'brq9d8c7b6a-5f': ['tap3f1c9a2e-5b'] });

    await new MockActivityEnvironment().run(activities.unplugVif.bind(activities), { instanceId: 'inst-2' });
    await new MockActivityEnvironment().run(activities.unplugVif.bind(activities), { instanceId: 'inst-2' });
    assert.deepEqual((await driver.getDomain('inst-2'))!.vifs, []);
    assert.deepEqual(await vifs.devices(), {}, 'the host devices went with the NIC');
  });

  it('destroying a domain removes the host devices of its NICs too', async () => {
    const { activities, driver, vifs } = compute();
    await spawned(driver, 'inst-3');
    await new MockActivityEnvironment().run(activities.plugVif.bind(activities), { instanceId: 'inst-3', port });
    assert.deepEqual(await vifs.devices(), { 'brq9d8c7b6a-5f': ['tap3f1c9a2e-5b'] });
    await new MockActivityEnvironment().run(activities.destroyDomain.bind(activities), { instanceId: 'inst-3' });
    assert.equal(await driver.getDomain('inst-3'), null);
    assert.deepEqual(await vifs.devices(), {});
  });
});

describe('stray host devices', () => {
  it('are taps of no live port, and bridges of no live network with no tap that belongs', async () => {
    const { strayDevices } = await import('../../core/network/vif/stray-devices.js');
    const expected = { taps: new Set(['tapkept']), bridges: new Set(['brqlive']) };
    const devices = {
      '': ['tapbare'],
      brqlive: ['tapgone'],
      brqdead: ['tapold'],
      brqmixed: ['tapkept'],
      brqempty: [],
    };
    // brqmixed keeps a live port's tap (a port moved networks is not a thing, but a tap that belongs stays put).
    assert.deepEqual(strayDevices(devices, expected), ['tapbare', 'tapgone', 'tapold', 'brqdead', 'brqempty']);
  });
});
