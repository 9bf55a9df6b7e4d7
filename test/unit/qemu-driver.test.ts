/** The QEMU driver's refusals and no-ops, which need no QEMU (the real guest is in test/e2e/qemu-driver.test.ts). */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DomainError } from '../../core/errors.js';
import { DomainNotFoundError, ImageNotCachedError } from '../../core/hypervisor/errors.js';
import { QemuDriver } from '../../core/hypervisor/qemu/qemu-driver.js';
import { QemuSpecInvalid } from '../../core/hypervisor/qemu/qemu-errors.js';

const id = '0b7e6a52-3c1d-4e2f-8a9b-0c1d2e3f4a5b';
let nodeDir: string;
let imagePath: string;

beforeEach(async () => {
  nodeDir = await mkdtemp(path.join(tmpdir(), 'nimbus-qemu-unit-'));
  imagePath = path.join(nodeDir, 'images', 'img');
  await mkdir(path.dirname(imagePath), { recursive: true });
  await writeFile(imagePath, 'not a disk');
});

afterEach(async () => {
  await rm(nodeDir, { recursive: true, force: true });
});

const spec = (over: Record<string, unknown> = {}) => ({
  ...{ instanceId: id, name: 'web-1', vcpus: 1, ramMb: 512, diskGb: 1, imagePath, imageSha256: 'a'.repeat(64) },
  ...over,
});

describe('QemuDriver without QEMU', () => {
  it('refuses a flavor below the RAM a guest boots in, with a stable code, before touching the node', async () => {
    const driver = new QemuDriver({ nodeDir, accel: 'tcg' });
    await assert.rejects(driver.spawn(spec({ ramMb: 64 })), (err: unknown) => {
      assert.ok(err instanceof DomainError);
      assert.equal(err.code, QemuSpecInvalid);
      assert.equal(err.retryable, false);
      assert.match(err.message, /64 MB of RAM is below the 96 MB/);
      return true;
    });
    assert.equal(await driver.getDomain(id), null);
  });

  it('refuses an instance id QEMU cannot take as -uuid, and an image the node cache does not have', async () => {
    const driver = new QemuDriver({ nodeDir, accel: 'tcg' });
    await assert.rejects(driver.spawn(spec({ instanceId: '../../etc' })), RangeError);
    await assert.rejects(driver.spawn(spec({ imagePath: path.join(nodeDir, 'absent') })), ImageNotCachedError);
  });

  it('treats a missing domain as a no-op for the undos and a miss for the reads', async () => {
    const driver = new QemuDriver({ nodeDir, accel: 'tcg' });
    await driver.destroy(id);
    await driver.unplugVif(id);
    await driver.detachVolume(id, 'vol-1');
    assert.equal(await driver.getDomain(id), null);
    assert.deepEqual(await driver.listDomains(), []);
    await assert.rejects(driver.getConsoleOutput(id, 10), DomainNotFoundError);
    const vif = {
      ...{ portId: 'p1', mac: 'fa:16:3e:00:00:01', ip: '10.0.0.5', networkId: 'n1' },
      ...{ segmentation: { type: 'flat' as const, id: null }, tapDevice: 'tapp1', bridge: null },
    };
    await assert.rejects(driver.plugVif(id, vif), DomainNotFoundError);
  });

  it('reports the host it runs on, with the accelerator it uses', async () => {
    const driver = new QemuDriver({ nodeDir, accel: 'tcg' });
    await driver.initHost();
    const host = await driver.getHostResources();
    assert.equal(host.hypervisorType, 'qemu/tcg');
    assert.ok(host.vcpus >= 1 && host.ramMb > 0 && host.diskGb > 0);
  });
});
