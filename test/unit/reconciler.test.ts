import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { reconcileHost } from '../../core/compute/reconciler.js';
import { FakeDriver } from '../../core/hypervisor/fake-driver.js';
import { createLogger } from '../../core/logger.js';
import { bindPort } from '../../core/network/port-binding.js';
import { FakeVifDriver } from '../../core/network/vif/fake-vif-driver.js';
import { insertInstance, useTestDatabase } from '../support/database.js';

const log = createLogger('test', 'silent');

let dir: string;
let imagePath: string;

const t = useTestDatabase(async () => {
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

describe('reconcileHost', () => {
  it('keeps the domain of an ACTIVE instance of this host', async () => {
    const { host, driver } = freshNode();
    const active = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    await spawn(driver, active.id);
    const report = await reconcileHost(t.db, host, driver, log);
    assert.deepEqual(report, { destroyed: [], missing: [], shutoff: [] });
    assert.deepEqual(await domainIds(driver), [active.id]);
    assert.equal((await driver.getDomain(active.id))?.state, 'running');
  });

  it('keeps the domain of an instance still building here', async () => {
    const { host, driver } = freshNode();
    const building = await insertInstance(t.db, { status: 'BUILD', taskState: 'networking', host });
    await spawn(driver, building.id);
    assert.deepEqual(await reconcileHost(t.db, host, driver, log), { destroyed: [], missing: [], shutoff: [] });
    assert.deepEqual(await domainIds(driver), [building.id]);
  });

  it('destroys the domain of a DELETED instance', async () => {
    const { host, driver } = freshNode();
    const deleted = await insertInstance(t.db, { status: 'DELETED', taskState: null, host });
    await spawn(driver, deleted.id);
    assert.deepEqual(await reconcileHost(t.db, host, driver, log), {
      destroyed: [deleted.id],
      missing: [],
      shutoff: [],
    });
    assert.deepEqual(await domainIds(driver), []);
  });

  it("removes the host devices of an orphan's NICs with its domain", async () => {
    const { host, driver } = freshNode();
    const deleted = await insertInstance(t.db, { status: 'DELETED', taskState: null, host });
    await spawn(driver, deleted.id);
    const vifs = new FakeVifDriver();
    const port = { portId: randomUUID(), networkId: randomUUID(), segmentation: { type: 'vlan' as const, id: 100 } };
    const mac = 'fa:16:3e:00:00:09';
    const made = await vifs.plug({ instanceId: deleted.id, portId: port.portId, mac, binding: bindPort(port) });
    await driver.plugVif(deleted.id, { ...port, mac, ip: '10.0.0.9', ...made });
    await reconcileHost(t.db, host, driver, log, { vifs });
    assert.deepEqual(await domainIds(driver), []);
    assert.deepEqual(await vifs.devices(), {});
  });

  it('removes taps and bridges of no live port on this host, and keeps those of a live port', async () => {
    const { host, driver } = freshNode();
    const active = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const [{ id: portId }] = await t.db.query(
      `INSERT INTO ports (network_id, instance_id, host, mac_address) VALUES ($1, $2, $3, $4) RETURNING id`,
      [
        active.networkId,
        active.id,
        host,
        `fa:16:3e:${randomUUID()
          .slice(0, 8)
          .replace(/(..)(..)(..).*/, '$1:$2:$3')}`,
      ],
    );
    const vifs = new FakeVifDriver();
    const segmentation = { type: 'vlan' as const, id: 100 };
    const plug = (port: string, network: string) =>
      vifs.plug({
        instanceId: active.id,
        portId: port,
        mac: 'fa:16:3e:00:00:01',
        binding: bindPort({ portId: port, networkId: network, segmentation }),
      });
    const kept = await plug(portId, active.networkId);
    const stray = await plug(randomUUID(), randomUUID());
    const report = await reconcileHost(t.db, host, driver, log, { vifs });
    assert.deepEqual(report.removedDevices, [stray.tapDevice, stray.bridge]);
    assert.deepEqual(await vifs.devices(), { [kept.bridge!]: [kept.tapDevice] });
  });

  it('destroys a domain no instance knows, whatever its name', async () => {
    const { host, driver } = freshNode();
    const unknown = randomUUID();
    await spawn(driver, unknown);
    await spawn(driver, 'leftover-from-a-test');
    const report = await reconcileHost(t.db, host, driver, log);
    assert.deepEqual(report.destroyed.sort(), [unknown, 'leftover-from-a-test'].sort());
    assert.deepEqual(report.missing, []);
    assert.deepEqual(await domainIds(driver), []);
  });

  it('destroys domains of instances that failed here or now live on another host', async () => {
    const { host, driver } = freshNode();
    const failed = await insertInstance(t.db, { status: 'ERROR', taskState: null, host });
    const moved = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host: 'node-elsewhere' });
    const rescheduled = await insertInstance(t.db, { status: 'BUILD', taskState: 'spawning', host: 'node-elsewhere' });
    for (const i of [failed, moved, rescheduled]) await spawn(driver, i.id);
    const report = await reconcileHost(t.db, host, driver, log);
    assert.deepEqual(report.destroyed.sort(), [failed.id, moved.id, rescheduled.id].sort());
    assert.deepEqual(await domainIds(driver), []);
  });

  it('reports an ACTIVE instance of this host that has no domain as missing, and touches nothing', async () => {
    const { host, driver } = freshNode();
    const lost = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const fine = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    await insertInstance(t.db, { status: 'BUILD', taskState: 'scheduling', host }); // not yet spawned: not missing
    await spawn(driver, fine.id);
    assert.deepEqual(await reconcileHost(t.db, host, driver, log), { destroyed: [], missing: [lost.id], shutoff: [] });
    const [row] = await t.db.query(`SELECT status, host FROM instances WHERE id = $1`, [lost.id]);
    assert.deepEqual(row, { status: 'ACTIVE', host });
  });

  it('sorts a mixed host in one pass, and a second pass finds nothing to do', async () => {
    const { host, driver } = freshNode();
    const keep = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const orphan = await insertInstance(t.db, { status: 'DELETED', taskState: null, host });
    const lost = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const stray = randomUUID();
    for (const id of [keep.id, orphan.id, stray]) await spawn(driver, id);
    const first = await reconcileHost(t.db, host, driver, log);
    assert.deepEqual(first.destroyed.sort(), [orphan.id, stray].sort());
    assert.deepEqual(first.missing, [lost.id]);
    assert.deepEqual(await domainIds(driver), [keep.id]);
    assert.deepEqual(await reconcileHost(t.db, host, driver, log), { destroyed: [], missing: [lost.id], shutoff: [] });
  });

  it('a host with no domains dir and no instances is clean', async () => {
    const { host, driver } = freshNode();
    assert.deepEqual(await reconcileHost(t.db, host, driver, log), { destroyed: [], missing: [], shutoff: [] });
  });

  it('power-state sync: an ACTIVE instance whose domain is shut off becomes SHUTOFF, and its domain is kept', async () => {
    const { host, driver } = freshNode();
    const died = await insertInstance(t.db, { status: 'ACTIVE', taskState: null, host });
    const stopping = await insertInstance(t.db, { status: 'ACTIVE', taskState: 'powering-off', host });
    const stopped = await insertInstance(t.db, { status: 'SHUTOFF', taskState: null, host });
    for (const inst of [died, stopping, stopped]) {
      await spawn(driver, inst.id);
      await driver.powerOff(inst.id);
    }
    const report = await reconcileHost(t.db, host, driver, log);
    assert.deepEqual(report, { destroyed: [], missing: [], shutoff: [died.id] });
    const rows = await t.db.query(`SELECT id, status, power_state FROM instances WHERE id = ANY($1)`, [
      [died.id, stopping.id],
    ]);
    const byId = new Map<string, any>(rows.map((r: any) => [r.id, r]));
    assert.deepEqual(byId.get(died.id), { id: died.id, status: 'SHUTOFF', power_state: 4 });
    // A stop in flight is its task's to finish.
    assert.equal(byId.get(stopping.id).status, 'ACTIVE');
    assert.deepEqual(await domainIds(driver), [died.id, stopping.id, stopped.id].sort());
  });
});
