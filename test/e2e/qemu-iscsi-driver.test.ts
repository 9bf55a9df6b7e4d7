/**
 * The tgt backend and the QEMU driver with a real tgtd and a real guest, without Temporal
 * or the API (the storage node's and the compute agent's halves, joined by the connector):
 *  - a volume is a sparse file exported as a target with one LUN, a CHAP account and an
 *    ACL naming the attaching host's initiator;
 *  - QEMU logs in through libiscsi with CHAP; the guest sees the disk with the volume's
 *    size and serial; bytes written in the guest land in the volume's file;
 *  - a wrong CHAP secret, and a host the ACL does not name, are refused (VolumeLoginRefused);
 *  - QEMU restarted (power off / on) attaches the volume again;
 *  - a restarted tgtd gets the pool re-exported; delete leaves no target and no file.
 * Without qemu-system-x86_64 or tgtd this skips, except under CI=true where it fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { initiatorIqnOf } from '../../contracts/storage.js';
import { loadConfig } from '../../core/config.js';
import type { DomainError } from '../../core/errors.js';
import { buildGuestImage, guestImageCacheDir } from '../../core/hypervisor/guest-image/build-guest-image.js';
import { QemuDriver } from '../../core/hypervisor/qemu/qemu-driver.js';
import { findQemuByUuid } from '../../core/hypervisor/qemu/qemu-process.js';
import { freePort } from '../../core/hypervisor/qemu/free-port.js';
import { createLogger } from '../../core/logger.js';
import { TgtVolumeBackend } from '../../core/storage/backends/tgt/tgt-backend.js';
import { Tgtadm } from '../../core/storage/backends/tgt/tgtadm.js';
import { TgtdSupervisor, unusedControlPort } from '../../core/storage/backends/tgt/tgtd.js';
import { attachSpecOf } from '../../core/storage/connector.js';

const has = (cmd: string, arg: string) => spawnSync(cmd, [arg]).error === undefined;
const ready = has('qemu-system-x86_64', '--version') && has('tgtd', '--help');
const skip = !ready && process.env.CI !== 'true' ? 'qemu-system-x86_64 or tgtd is not installed' : false;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('iSCSI volumes from tgtd in a real guest', { skip }, () => {
  const id = randomUUID();
  let dir: string;
  let driver: QemuDriver;
  let tgtd: TgtdSupervisor;

  after(async () => {
    await driver?.destroy(id).catch(() => undefined);
    const pid = await findQemuByUuid(id);
    if (pid) process.kill(pid, 'SIGKILL');
    await tgtd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exports with CHAP and an ACL, attaches, writes through, refuses wrong secrets, and cleans up', async () => {
    assert.ok(ready, 'CI=true: this test needs qemu-system-x86_64 and tgtd (.ci/run installs qemu and tgt)');
    const image = await buildGuestImage({ cacheDir: guestImageCacheDir(loadConfig().dataDir) });
    dir = await mkdtemp(path.join(tmpdir(), 'nimbus-iscsi-'));
    const imagePath = path.join(dir, 'node', 'images', image.sha256);
    await mkdir(path.dirname(imagePath), { recursive: true });
    await copyFile(image.path, imagePath);

    const tgtadm = new Tgtadm(unusedControlPort());
    const portal = `127.0.0.1:${await freePort()}`;
    const backend = new TgtVolumeBackend(tgtadm, path.join(dir, 'pools'), portal);
    const log = createLogger('tgtd-test');
    tgtd = new TgtdSupervisor({ tgtadm, portal, log, onReady: () => backend.reexportAll().then(() => undefined) });
    await tgtd.start();

    const host = 'node-1';
    driver = new QemuDriver({
      nodeDir: path.join(dir, 'node'),
      userNetwork: true,
      initiatorName: initiatorIqnOf(host),
    });
    await driver.initHost();
    const spec = {
      instanceId: id,
      name: 'vol-1',
      vcpus: 1,
      ramMb: 128,
      diskGb: 1,
      imagePath,
      imageSha256: image.sha256,
    };
    await driver.spawn(spec);

    const volume = { volumeId: randomUUID(), sizeGb: 1, pool: 'pool-1' };
    let t = Date.now();
    await backend.createVolume(volume);
    const exported = await backend.createExport(volume);
    const exportMs = Date.now() - t;
    const file = backend.files.image(volume.pool, volume.volumeId);
    assert.equal((await stat(file)).size, 2 ** 30);
    assert.ok((await stat(file)).blocks < 64, 'a sparse file');
    const [target] = await tgtadm.targets();
    assert.equal(target.iqn, exported.targetIqn);
    assert.deepEqual(target.backingFiles, [file]);
    assert.deepEqual(target.accounts, [exported.chapUsername]);
    assert.deepEqual(target.acl, [], 'nobody is let in before a connection is initialized');

    t = Date.now();
    const connection = await backend.initializeConnection(exported, host);
    const initMs = Date.now() - t;
    assert.deepEqual((await tgtadm.targets())[0].acl, [initiatorIqnOf(host)]);

    const endpoint = (await driver.guestHttpEndpoint(id))!;
    await until('the guest endpoint', 120_000, () => fetch(`${endpoint}/nimbus/info`).then((r) => r.ok));
    const serial = volume.volumeId.slice(0, 20);
    const disks = (at = endpoint) =>
      fetch(`${at}/nimbus/info`)
        .then((r) => r.json() as Promise<{ disks: Array<{ name: string; size: number; serial: string }> }>)
        .then((i) => i.disks);

    // Wrong secret and foreign host first: both refused cleanly, nothing left attached.
    const wrong = attachSpecOf(volume.volumeId, { ...connection, authPassword: 'not-the-secret' });
    await assert.rejects(driver.attachVolume(id, wrong), (e: DomainError) => e.code === 'VolumeLoginRefused');
    const stranger = new QemuDriver({
      ...{ nodeDir: path.join(dir, 'node'), userNetwork: true },
      initiatorName: initiatorIqnOf('node-2'),
    });
    const right = attachSpecOf(volume.volumeId, connection);
    await assert.rejects(stranger.attachVolume(id, right), (e: DomainError) => e.code === 'VolumeLoginRefused');
    assert.deepEqual((await driver.getDomain(id))?.volumes, []);

    t = Date.now();
    const { device } = await driver.attachVolume(id, right);
    const qmpMs = Date.now() - t;
    const seen = await until('the volume in the guest', 30_000, async () =>
      (await disks()).find((d) => d.serial === serial),
    );
    const visibleMs = Date.now() - t;
    assert.equal(device, 'vdb');
    assert.equal(seen.size, 2 ** 30, "the guest sees the volume's size");

    const bytes = `nimbus-${randomUUID().slice(0, 8)}`;
    const offset = 4096 * 3;
    const wrote = await fetch(`${endpoint}/cgi-bin/disk?serial=${serial}&op=write&offset=${offset}&data=${bytes}`);
    assert.equal(wrote.status, 200, await wrote.text());
    const onHost = Buffer.alloc(bytes.length);
    const fh = await open(file, 'r');
    await fh.read(onHost, 0, bytes.length, offset);
    await fh.close();
    assert.equal(onHost.toString(), bytes, "the guest's bytes are in the volume file");

    // QEMU restarted: the volume comes back on the same device, with its bytes.
    await driver.powerOff(id);
    await driver.powerOn(id);
    const again = (await driver.guestHttpEndpoint(id))!;
    const read = await until('the volume after a restart', 120_000, async () => {
      const r = await fetch(`${again}/cgi-bin/disk?serial=${serial}&op=read&offset=${offset}&length=${bytes.length}`);
      return r.ok ? r.text() : null;
    });
    assert.equal(read, bytes);

    // tgtd killed: the supervisor starts another and re-exports the pool with its ACL.
    const tgtdPid = spawnSync('pgrep', ['-f', `tgtd -f -C ${tgtadm.controlPort}`], { encoding: 'utf8' }).stdout.trim();
    process.kill(Number(tgtdPid), 'SIGKILL');
    const back = await until('tgtd re-exported', 15_000, async () =>
      (await tgtadm.targets()).find((x) => x.acl.length > 0),
    );
    assert.equal(back.iqn, exported.targetIqn);
    assert.deepEqual(back.acl, [initiatorIqnOf(host)]);

    await driver.detachVolume(id, volume.volumeId);
    await until('the volume gone from the guest', 30_000, async () =>
      (await disks(again)).every((d) => d.serial !== serial),
    );
    t = Date.now();
    await backend.terminateConnection(volume.volumeId, host);
    const terminateMs = Date.now() - t;
    assert.deepEqual((await tgtadm.targets())[0].acl, []);
    t = Date.now();
    await backend.deleteVolume(volume);
    const deleteMs = Date.now() - t;
    assert.deepEqual(await tgtadm.targets(), []);
    assert.equal(await stat(file).catch(() => null), null, 'the file is gone');
    await backend.deleteVolume(volume); // idempotent
    console.log(
      `# iscsi: export ${exportMs} ms, initialize ${initMs} ms, QMP attach ${qmpMs} ms, ` +
        `visible in guest ${visibleMs} ms, terminate ${terminateMs} ms, delete ${deleteMs} ms`,
    );
  });
});
