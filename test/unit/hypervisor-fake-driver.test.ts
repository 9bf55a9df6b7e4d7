import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { diskDeviceName } from '../../core/hypervisor/device-names.js';
import type { DomainSpec, VifSpec, VolumeAttachSpec } from '../../core/hypervisor/driver.js';
import { DomainConflictError, DomainNotFoundError, ImageNotCachedError } from '../../core/hypervisor/errors.js';
import { FakeDriver } from '../../core/hypervisor/fake-driver.js';
import { locked } from '../../core/hypervisor/locked.js';
import { useNodeDir } from '../support/node-dir.js';

let nodeDir: string;
let imagePath: string;

useNodeDir('nimbus-hv-', { each: true }, (node) => ({ dir: nodeDir, imagePath } = node));

function spec(instanceId = 'inst-1', overrides: Partial<DomainSpec> = {}): DomainSpec {
  return {
    instanceId,
    name: 'web-1',
    vcpus: 1,
    ramMb: 512,
    diskGb: 1,
    imagePath,
    imageSha256: 'a'.repeat(64),
    ...overrides,
  };
}

const vif: VifSpec = {
  portId: '3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b',
  mac: 'fa:16:3e:00:00:01',
  ip: '10.0.0.5',
  networkId: 'net-1',
  segmentation: { type: 'vlan', id: 100 },
  tapDevice: 'tap3f1c9a2e-5b',
  bridge: 'brqnet-1',
};

function volume(volumeId: string): VolumeAttachSpec {
  return {
    volumeId,
    connection: {
      targetIqn: `iqn.2010-10.org.openstack:volume-${volumeId}`,
      targetPortal: '127.0.0.1:3260',
      targetLun: 0,
    },
  };
}

describe('FakeDriver', () => {
  it('keeps a spawned domain as a JSON file and a repeated spawn changes nothing', async () => {
    const driver = new FakeDriver({ nodeDir });
    const first = await driver.spawn(spec());
    assert.equal(first.state, 'running');
    const file = path.join(nodeDir, 'domains', 'inst-1.json');
    const before = await readFile(file, 'utf8');
    const again = await driver.spawn(spec());
    assert.deepEqual(again, first);
    assert.equal(await readFile(file, 'utf8'), before);
    assert.deepEqual(JSON.parse(before).name, 'web-1');
    assert.deepEqual(await readdir(path.join(nodeDir, 'domains')), ['inst-1.json'], 'no temp files left behind');
  });

  it('shows a console with the marker a real guest prints, for a domain it has', async () => {
    const driver = new FakeDriver({ nodeDir });
    await assert.rejects(driver.getConsoleOutput('inst-1', 10), DomainNotFoundError);
    await driver.spawn(spec());
    assert.equal(await driver.getConsoleOutput('inst-1', 1), 'NIMBUS-GUEST-READY instance=inst-1');
  });

  it('powers a domain off and on, keeping it; reboot leaves it running; a missing domain has no power', async () => {
    const driver = new FakeDriver({ nodeDir });
    await assert.rejects(driver.powerOff('inst-1'), DomainNotFoundError);
    await driver.spawn(spec());
    await driver.powerOff('inst-1');
    await driver.powerOff('inst-1'); // idempotent
    assert.equal((await driver.getDomain('inst-1'))?.state, 'shutoff');
    await driver.powerOn('inst-1');
    assert.equal((await driver.getDomain('inst-1'))?.state, 'running');
    await driver.powerOff('inst-1');
    await driver.reboot('inst-1');
    assert.equal((await driver.getDomain('inst-1'))?.state, 'running');
  });

  it('refuses a second spawn with a different spec', async () => {
    const driver = new FakeDriver({ nodeDir });
    await driver.spawn(spec());
    await assert.rejects(driver.spawn(spec('inst-1', { vcpus: 2 })), DomainConflictError);
  });

  it('refuses to spawn from an image the node has not cached', async () => {
    const driver = new FakeDriver({ nodeDir });
    await assert.rejects(
      driver.spawn(spec('inst-1', { imagePath: path.join(nodeDir, 'missing') })),
      ImageNotCachedError,
    );
    assert.deepEqual(await driver.listDomains(), []);
  });

  it('attaches the host device the VIF driver made, and plugs a port once', async () => {
    const driver = new FakeDriver({ nodeDir });
    await driver.spawn(spec());
    const plugged = await driver.plugVif('inst-1', vif);
    assert.deepEqual([plugged.tapDevice, plugged.bridge], ['tap3f1c9a2e-5b', 'brqnet-1']);
    await driver.plugVif('inst-1', vif);
    const domain = await driver.getDomain('inst-1');
    assert.deepEqual(domain?.vifs, [vif]);
  });

  it("reports the seeded hosts' capacity unless told otherwise, and prepares its folder at init", async () => {
    assert.deepEqual(await new FakeDriver({ nodeDir }).getHostResources(), {
      vcpus: 8,
      ramMb: 16384,
      diskGb: 160,
      hypervisorType: 'fake',
    });
    const big = new FakeDriver({ nodeDir, resources: { vcpus: 64, ramMb: 65536 } });
    assert.deepEqual(await big.getHostResources(), { vcpus: 64, ramMb: 65536, diskGb: 160, hypervisorType: 'fake' });
    assert.throws(() => new FakeDriver({ nodeDir, resources: { vcpus: 0 } }), RangeError);
    await big.initHost();
    await big.initHost();
    assert.deepEqual(await readdir(path.join(nodeDir, 'domains')), []);
  });

  it('gives volumes the first free device after vda and returns the same device on re-attach', async () => {
    const driver = new FakeDriver({ nodeDir });
    await driver.spawn(spec());
    assert.deepEqual(await driver.attachVolume('inst-1', volume('v1')), { device: 'vdb' });
    assert.deepEqual(await driver.attachVolume('inst-1', volume('v2')), { device: 'vdc' });
    assert.deepEqual(await driver.attachVolume('inst-1', volume('v1')), { device: 'vdb' });
    await driver.detachVolume('inst-1', 'v1');
    assert.deepEqual(await driver.attachVolume('inst-1', volume('v3')), { device: 'vdb' });
    const domain = await driver.getDomain('inst-1');
    assert.deepEqual(
      domain?.volumes.map((v) => [v.volumeId, v.device]),
      [
        ['v2', 'vdc'],
        ['v3', 'vdb'],
      ],
    );
    assert.equal(diskDeviceName(25), 'vdz');
    assert.equal(diskDeviceName(26), 'vdaa');
  });

  it('fails to plug or attach on a missing domain, but undoes on it without complaint', async () => {
    const driver = new FakeDriver({ nodeDir });
    await assert.rejects(driver.plugVif('ghost', vif), DomainNotFoundError);
    await assert.rejects(driver.attachVolume('ghost', volume('v1')), DomainNotFoundError);
    await driver.unplugVif('ghost');
    await driver.detachVolume('ghost', 'v1');
    await driver.destroy('ghost');
    assert.equal(await driver.getDomain('ghost'), null);
  });

  it('unplugs one port or all of them, and destroy removes the domain', async () => {
    const driver = new FakeDriver({ nodeDir });
    await driver.spawn(spec());
    await driver.plugVif('inst-1', vif);
    await driver.plugVif('inst-1', {
      ...vif,
      portId: 'port-2',
      segmentation: { type: 'flat', id: null },
      tapDevice: 'tapport-2',
    });
    await driver.unplugVif('inst-1', 'port-2');
    assert.deepEqual(
      (await driver.getDomain('inst-1'))?.vifs.map((v) => v.portId),
      [vif.portId],
    );
    await driver.unplugVif('inst-1');
    assert.deepEqual((await driver.getDomain('inst-1'))?.vifs, []);
    await driver.destroy('inst-1');
    await driver.destroy('inst-1');
    assert.deepEqual(await driver.listDomains(), []);
  });

  it('keeps state across a restart (a new driver on the same node directory)', async () => {
    const before = new FakeDriver({ nodeDir });
    await before.spawn(spec('inst-1'));
    await before.spawn(spec('inst-2', { name: 'web-2' }));
    await before.plugVif('inst-1', vif);
    await before.attachVolume('inst-1', volume('v1'));

    const after = new FakeDriver({ nodeDir });
    const domains = await after.listDomains();
    assert.deepEqual(
      domains.map((d) => d.instanceId),
      ['inst-1', 'inst-2'],
    );
    assert.equal(domains[0].vifs[0].tapDevice, 'tap3f1c9a2e-5b');
    assert.equal(domains[0].volumes[0].device, 'vdb');
    assert.deepEqual(await after.attachVolume('inst-1', volume('v1')), { device: 'vdb' });
    await after.spawn(spec('inst-1')); // still a no-op after the restart
  });

  it('serialises concurrent changes to one domain once locked (as the factory gives it)', async () => {
    const driver = locked(new FakeDriver({ nodeDir }));
    await driver.spawn(spec());
    const devices = await Promise.all(['v1', 'v2', 'v3', 'v4'].map((id) => driver.attachVolume('inst-1', volume(id))));
    assert.deepEqual(devices.map((d) => d.device).sort(), ['vdb', 'vdc', 'vdd', 'vde']);
    assert.equal((await driver.getDomain('inst-1'))?.volumes.length, 4);
  });

  it('takes the configured time per operation and stops waiting when aborted', async () => {
    const driver = new FakeDriver({ nodeDir, delayMs: 60 });
    const started = Date.now();
    await driver.spawn(spec());
    assert.ok(Date.now() - started >= 55, 'spawn took the configured delay');

    const controller = new AbortController();
    const pending = driver.destroy('inst-1', { signal: controller.signal });
    controller.abort(new Error('activity cancelled'));
    await assert.rejects(pending, /activity cancelled/);
    assert.ok(await driver.getDomain('inst-1'), 'an aborted destroy did not happen');
  });

  it('refuses instance ids that are not safe file names', async () => {
    const driver = new FakeDriver({ nodeDir });
    await assert.rejects(driver.destroy('../etc'), RangeError);
  });
});
