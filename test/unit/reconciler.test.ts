import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DomainReport, HostDesiredState, HostInstanceRow } from '../../contracts/host-sync.js';
import { reconcileHost, type AskControlPlane } from '../../core/compute/reconciler.js';
import { FakeDriver } from '../../core/hypervisor/fake-driver.js';
import { createLogger } from '../../core/logger.js';
import { bindPort } from '../../core/network/port-binding.js';
import { FakeVifDriver } from '../../core/network/vif/fake-vif-driver.js';

/**
 * The agent's reconciliation over the control plane's answer (HostSync): what it destroys,
 * reports and removes on the host, given the instances the control plane knows. No database:
 * the answer is written here as the control plane would give it (core/scheduling/host-sync.ts,
 * tested in host-sync.test.ts).
 */

const log = createLogger('test', 'silent');

let dir: string;
let imagePath: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nimbus-reconcile-'));
  imagePath = path.join(dir, 'cirros.img');
  await writeFile(imagePath, 'not really a disk image');
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A compute host of this test's own: its name and a fake driver over its own node dir. */
function freshNode(): { host: string; driver: FakeDriver } {
  const host = `rec-${randomUUID().slice(0, 8)}`;
  return { host, driver: new FakeDriver({ nodeDir: path.join(dir, host) }) };
}

async function spawn(driver: FakeDriver, instanceId: string): Promise<void> {
  await driver.spawn({
    instanceId,
    name: `vm-${instanceId.slice(0, 8)}`,
    vcpus: 1,
    ramMb: 512,
    diskGb: 1,
    imagePath,
    imageSha256: 'a'.repeat(64),
  });
}

async function domainIds(driver: FakeDriver): Promise<string[]> {
  return (await driver.listDomains()).map((d) => d.instanceId).sort();
}

const row = (status: string, host: string | null, taskState: string | null = null): HostInstanceRow => ({
  id: randomUUID(),
  status,
  host,
  taskState,
});

/** A control plane that knows `instances` and answers with them; it keeps what it was told. */
function controlPlane(
  host: string,
  instances: HostInstanceRow[],
  more: Partial<HostDesiredState> = {},
): AskControlPlane & { told: DomainReport[][] } {
  const told: DomainReport[][] = [];
  const ask = (domains: DomainReport[]) => {
    told.push(domains);
    return Promise.resolve({
      host,
      instances,
      shutoff: [],
      expectedDevices: { taps: [], bridges: [] },
      placedInstanceIds: [],
      claims: [],
      ...more,
    });
  };
  return Object.assign(ask, { told });
}

describe('reconcileHost', () => {
  it('keeps the domain of an ACTIVE instance of this host', async () => {
    const { host, driver } = freshNode();
    const active = row('ACTIVE', host);
    await spawn(driver, active.id);
    const report = await reconcileHost(host, driver, controlPlane(host, [active]), log);
    assert.deepEqual(report, { destroyed: [], missing: [], shutoff: [] });
    assert.deepEqual(await domainIds(driver), [active.id]);
    assert.equal((await driver.getDomain(active.id))?.state, 'running');
  });

  it('keeps the domains of instances building or stopped here', async () => {
    const { host, driver } = freshNode();
    const building = row('BUILD', host, 'networking');
    const stopped = row('SHUTOFF', host);
    for (const i of [building, stopped]) await spawn(driver, i.id);
    const report = await reconcileHost(host, driver, controlPlane(host, [building, stopped]), log);
    assert.deepEqual(report, { destroyed: [], missing: [], shutoff: [] });
    assert.deepEqual(await domainIds(driver), [building.id, stopped.id].sort());
  });

  it('destroys the domain of a DELETED instance, and unpins it', async () => {
    const { host, driver } = freshNode();
    const deleted = row('DELETED', host);
    await spawn(driver, deleted.id);
    const unpinned: string[] = [];
    const report = await reconcileHost(host, driver, controlPlane(host, [deleted]), log, {
      onDestroyed: (id) => Promise.resolve(void unpinned.push(id)),
    });
    assert.deepEqual(report, { destroyed: [deleted.id], missing: [], shutoff: [] });
    assert.deepEqual(await domainIds(driver), []);
    assert.deepEqual(unpinned, [deleted.id]);
  });

  it('destroys a domain no instance knows, whatever its name', async () => {
    const { host, driver } = freshNode();
    const unknown = randomUUID();
    await spawn(driver, unknown);
    await spawn(driver, 'leftover-from-a-test');
    const report = await reconcileHost(host, driver, controlPlane(host, []), log);
    assert.deepEqual(report.destroyed.sort(), [unknown, 'leftover-from-a-test'].sort());
    assert.deepEqual(report.missing, []);
    assert.deepEqual(await domainIds(driver), []);
  });

  it('destroys domains of instances that failed here or now live on another host', async () => {
    const { host, driver } = freshNode();
    const failed = row('ERROR', host);
    const moved = row('ACTIVE', 'node-elsewhere');
    const rescheduled = row('BUILD', 'node-elsewhere', 'spawning');
    for (const i of [failed, moved, rescheduled]) await spawn(driver, i.id);
    const report = await reconcileHost(host, driver, controlPlane(host, [failed, moved, rescheduled]), log);
    assert.deepEqual(report.destroyed.sort(), [failed.id, moved.id, rescheduled.id].sort());
    assert.deepEqual(await domainIds(driver), []);
  });

  it('reports an ACTIVE instance of this host that has no domain as missing, and touches nothing', async () => {
    const { host, driver } = freshNode();
    const lost = row('ACTIVE', host);
    const fine = row('ACTIVE', host);
    await spawn(driver, fine.id);
    const report = await reconcileHost(host, driver, controlPlane(host, [lost, fine]), log);
    assert.deepEqual(report, { destroyed: [], missing: [lost.id], shutoff: [] });
    assert.deepEqual(await domainIds(driver), [fine.id]);
  });

  it('sorts a mixed host in one pass, and a second pass finds nothing to do', async () => {
    const { host, driver } = freshNode();
    const keep = row('ACTIVE', host);
    const orphan = row('DELETED', host);
    const lost = row('ACTIVE', host);
    const stray = randomUUID();
    for (const id of [keep.id, orphan.id, stray]) await spawn(driver, id);
    const ask = controlPlane(host, [keep, orphan, lost]);
    const first = await reconcileHost(host, driver, ask, log);
    assert.deepEqual(first.destroyed.sort(), [orphan.id, stray].sort());
    assert.deepEqual(first.missing, [lost.id]);
    assert.deepEqual(await domainIds(driver), [keep.id]);
    assert.deepEqual(await reconcileHost(host, driver, ask, log), { destroyed: [], missing: [lost.id], shutoff: [] });
  });

  it('a host with no domains asks about none and is clean', async () => {
    const { host, driver } = freshNode();
    const ask = controlPlane(host, []);
    assert.deepEqual(await reconcileHost(host, driver, ask, log), { destroyed: [], missing: [], shutoff: [] });
    assert.deepEqual(ask.told, [[]]);
  });

  it('power-state sync: reports each domain with its state, keeps shut-off domains, and reports what the control plane made SHUTOFF', async () => {
    const { host, driver } = freshNode();
    const died = row('ACTIVE', host);
    const running = row('ACTIVE', host);
    for (const inst of [died, running]) await spawn(driver, inst.id);
    await driver.powerOff(died.id);
    // The control plane answers with the instance already SHUTOFF (core/scheduling/host-sync.ts).
    const ask = controlPlane(host, [{ ...died, status: 'SHUTOFF' }, running], { shutoff: [died.id] });
    const report = await reconcileHost(host, driver, ask, log);
    assert.deepEqual(report, { destroyed: [], missing: [], shutoff: [died.id] });
    const told = [...ask.told[0]].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    const expected = [
      { instanceId: died.id, state: 'shutoff' },
      { instanceId: running.id, state: 'running' },
    ].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    assert.deepEqual(told, expected);
    assert.deepEqual(await domainIds(driver), [died.id, running.id].sort());
  });

  it('a control plane that does not answer leaves every domain in place', async () => {
    const { host, driver } = freshNode();
    const orphan = randomUUID();
    await spawn(driver, orphan);
    const unreachable = () => Promise.reject(new Error('HostSync failed'));
    await assert.rejects(reconcileHost(host, driver, unreachable, log), /HostSync failed/);
    assert.deepEqual(await domainIds(driver), [orphan]);
  });
});

describe('reconcileHost with host devices', () => {
  const segmentation = { type: 'vlan' as const, id: 100 };
  const plug = (vifs: FakeVifDriver, instanceId: string, portId = randomUUID(), networkId = randomUUID()) =>
    vifs.plug({
      instanceId,
      portId,
      mac: 'fa:16:3e:00:00:01',
      binding: bindPort({ portId, networkId, segmentation }),
    });

  it("removes the host devices of an orphan's NICs with its domain, and reports none twice", async () => {
    const { host, driver } = freshNode();
    const deleted = row('DELETED', host);
    await spawn(driver, deleted.id);
    const vifs = new FakeVifDriver();
    const port = { portId: randomUUID(), networkId: randomUUID(), segmentation };
    const mac = 'fa:16:3e:00:00:09';
    const made = await vifs.plug({ instanceId: deleted.id, portId: port.portId, mac, binding: bindPort(port) });
    await driver.plugVif(deleted.id, { ...port, mac, ip: '10.0.0.9', ...made });
    const report = await reconcileHost(host, driver, controlPlane(host, [deleted]), log, { vifs });
    assert.deepEqual(await domainIds(driver), []);
    assert.deepEqual(await vifs.devices(), {});
    // The unplug took them: they are not "stray devices removed" as well.
    assert.deepEqual(report.removedDevices, []);
  });

  it('removes taps and bridges of no live port on this host, and keeps those of a live port', async () => {
    const { host, driver } = freshNode();
    const active = row('ACTIVE', host);
    await spawn(driver, active.id);
    const vifs = new FakeVifDriver();
    const kept = await plug(vifs, active.id);
    const stray = await plug(vifs, active.id);
    const expectedDevices = { taps: [kept.tapDevice], bridges: [kept.bridge!] };
    const report = await reconcileHost(host, driver, controlPlane(host, [active], { expectedDevices }), log, { vifs });
    assert.deepEqual(report.removedDevices, [stray.tapDevice, stray.bridge]);
    assert.deepEqual(await vifs.devices(), { [kept.bridge!]: [kept.tapDevice] });
  });

  it('never takes a device made while the control plane was being asked (its port is newer than the answer)', async () => {
    const { host, driver } = freshNode();
    const vifs = new FakeVifDriver();
    let plugged: Awaited<ReturnType<typeof plug>> | undefined;
    const building = row('BUILD', host, 'networking');
    const answer = controlPlane(host, [building]);
    // A build plugs its port meanwhile: the answer, read before, does not know that port.
    const ask: AskControlPlane = async (domains) => {
      plugged = await plug(vifs, building.id);
      return answer(domains);
    };
    const report = await reconcileHost(host, driver, ask, log, { vifs });
    assert.deepEqual(report.removedDevices, []);
    assert.deepEqual(await vifs.devices(), { [plugged!.bridge!]: [plugged!.tapDevice] });
  });
});
