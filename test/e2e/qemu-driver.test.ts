/**
 * The QEMU driver with real guests, without Temporal or the API: one TCG (or KVM) guest
 * built from the Nimbus guest image, driven through the driver interface.
 *  - spawn: a daemonized QEMU with the instance's -uuid, its root disk a qcow2 overlay over
 *    the cached image; QMP says running; the console shows the marker with the instance id;
 *  - attachVolume / detachVolume: a raw disk hot-plugged through QMP shows in the guest's
 *    GET /nimbus/info with the volume id as its serial, then goes away;
 *  - a second driver on the same node (an agent restart) adopts the guest: no second QEMU;
 *  - destroy leaves no process, overlay, pidfile or socket, and is idempotent.
 * Without qemu-system-x86_64 this skips, except under CI=true where it fails.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { until } from '../support/until.js';
import { loadConfig } from '../../core/config.js';
import { buildGuestImage, guestImageCacheDir } from '../../core/hypervisor/guest-image/build-guest-image.js';
import { GUEST_READY_MARKER } from '../../core/hypervisor/guest-image/guest-init.js';
import { QemuDriver } from '../../core/hypervisor/qemu/qemu-driver.js';
import { findQemuByUuid, isQemuOf, rssKib } from '../../core/hypervisor/qemu/qemu-process.js';

const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const inCi = process.env.CI === 'true';
const skip =
  !hasQemu && !inCi ? 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 qemu-utils)' : false;

interface GuestInfo {
  hostname: string;
  instanceId: string;
  addresses: Array<{ interface: string; address: string }>;
  disks: Array<{ name: string; size: number; serial: string }>;
}

describe('QEMU driver with a real guest', { skip }, () => {
  const id = randomUUID();
  let nodeDir: string;
  let driver: QemuDriver;

  after(async () => {
    await driver?.destroy(id).catch(() => undefined);
    // QEMU is daemonized: whatever happened above, no guest of this test may outlive it.
    const pid = await findQemuByUuid(id);
    if (pid) process.kill(pid, 'SIGKILL');
    if (nodeDir) await rm(nodeDir, { recursive: true, force: true });
  });

  it('boots, hot-plugs a disk, is adopted after a restart, and leaves nothing behind', async () => {
    assert.ok(hasQemu, 'CI=true: the real-VM tests need qemu-system-x86_64 (.ci/run installs it)');
    const image = await buildGuestImage({ cacheDir: guestImageCacheDir(loadConfig().dataDir) });
    nodeDir = await mkdtemp(path.join(tmpdir(), 'nimbus-qemu-'));
    // As the node cache keeps it: a file named by its digest.
    const imagePath = path.join(nodeDir, 'images', image.sha256);
    await mkdir(path.dirname(imagePath), { recursive: true });
    await copyFile(image.path, imagePath);

    driver = new QemuDriver({ nodeDir, userNetwork: true, probeImage: image.path });
    await driver.initHost();
    const host = await driver.getHostResources();
    assert.match(host.hypervisorType, /^qemu\/(kvm|tcg)$/);

    const started = Date.now();
    const spec = {
      instanceId: id,
      name: 'web-1',
      vcpus: 1,
      ramMb: 128,
      diskGb: 1,
      imagePath,
      imageSha256: image.sha256,
    };
    const domain = await driver.spawn(spec);
    const spawnMs = Date.now() - started;
    assert.equal(domain.state, 'running');
    const pid = (await driver.pid(id))!;
    assert.ok(pid && (await isQemuOf(pid, id)), 'a QEMU process with -uuid <instance id>');
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const accel = argv[argv.indexOf('-accel') + 1].split(',')[0];
    assert.equal(host.hypervisorType, `qemu/${accel}`, 'the host reports the accelerator its guests use');
    if (accel === 'tcg') assert.equal(argv[argv.indexOf('-cpu') + 1], 'max', 'never -cpu host on TCG');
    const overlay = driver.files.overlay(id);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', overlay], { encoding: 'utf8' }));
    assert.equal(info.format, 'qcow2');
    assert.equal(info['backing-filename'], imagePath, 'the root disk is an overlay over the cached image');

    const marker = `${GUEST_READY_MARKER} instance=${id}`;
    await until('the guest marker on the console', 120_000, async () =>
      (await driver.getConsoleOutput(id, 20)).includes(marker),
    );
    const bootMs = Date.now() - started;
    const rss = await rssKib(pid);
    console.log(`# qemu guest: ${host.hypervisorType}, spawn ${spawnMs} ms, marker ${bootMs} ms, RSS ${rss} KiB`);

    const endpoint = (await driver.guestHttpEndpoint(id))!;
    const guestInfo = () => fetch(`${endpoint}/nimbus/info`).then((r) => r.json() as Promise<GuestInfo>);
    const first = await until('GET /nimbus/info', 30_000, guestInfo);
    assert.equal(first.instanceId, id);
    assert.equal(first.hostname, 'web-1');
    assert.ok(first.addresses.some((a) => a.interface === 'eth0'));

    const volumeId = randomUUID();
    const volumeFile = path.join(nodeDir, 'volume.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', volumeFile, '16M']);
    const connection = {
      targetIqn: 'iqn.2010-10.org.openstack:volume-test',
      targetPortal: '127.0.0.1:3260',
      targetLun: 0,
    };
    const { device } = await driver.attachVolume(id, { volumeId, connection, uri: `file://${volumeFile}` });
    assert.equal(device, 'vdb');
    const serial = volumeId.slice(0, 20);
    const seen = await until('the volume in the guest', 30_000, async () =>
      (await guestInfo()).disks.find((d) => d.serial === serial),
    );
    assert.equal(seen.size, 16 * 2 ** 20);
    await driver.detachVolume(id, volumeId);
    await until('the volume gone from the guest', 30_000, async () =>
      (await guestInfo()).disks.every((d) => d.serial !== serial),
    );

    // An agent restart: a new driver finds the guest through its pidfile and QMP.
    const restarted = new QemuDriver({ nodeDir, userNetwork: true });
    const listed = await restarted.listDomains();
    assert.deepEqual(
      listed.map((d) => [d.instanceId, d.state]),
      [[id, 'running']],
    );
    await restarted.spawn(spec);
    assert.equal(await restarted.pid(id), pid, 'spawn again adopts the running QEMU');

    // QEMU killed under the agent: the domain shows shutoff; spawn starts it again on the same overlay.
    process.kill(pid, 'SIGKILL');
    await until('the killed QEMU gone', 10_000, async () => !(await isQemuOf(pid, id)));
    assert.equal((await restarted.getDomain(id))?.state, 'shutoff');
    const restartedAt = Date.now();
    assert.equal((await restarted.spawn(spec)).state, 'running');
    const pid2 = (await restarted.pid(id))!;
    assert.ok(pid2 && pid2 !== pid);
    await until('the marker of the second boot', 120_000, async () => {
      const log = await restarted.getConsoleOutput(id, 200);
      return log.split(marker).length - 1 === 2;
    });
    console.log(`# restart after kill -9: marker in ${Date.now() - restartedAt} ms`);

    await restarted.destroy(id);
    assert.equal(await isQemuOf(pid2, id), false, 'no QEMU process left');
    for (const file of [overlay, driver.files.pidfile(id), driver.files.qmpSocket(id), driver.files.dir(id)]) {
      assert.equal(await stat(file).catch(() => null), null, `${file} removed`);
    }
    assert.equal(await restarted.getDomain(id), null);
    await restarted.destroy(id); // a missing domain is a no-op
  });
});
