/**
 * The tgt backend's reconciliation with a real tgtd (no guest): volumes the control plane
 * no longer reports lose their target, CHAP account and file; live ones keep everything;
 * a file made moments ago (a build in flight) is spared. Skips without tgtd, except under CI=true.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../../core/hypervisor/qemu/free-port.js';
import { createLogger } from '../../core/logger.js';
import { TgtVolumeBackend } from '../../core/storage/backends/tgt/tgt-backend.js';
import { Tgtadm } from '../../core/storage/backends/tgt/tgtadm.js';
import { TgtdSupervisor, unusedControlPort } from '../../core/storage/backends/tgt/tgtd.js';

const hasTgtd = spawnSync('tgtd', ['--help']).error === undefined;
const skip = !hasTgtd && process.env.CI !== 'true' ? 'tgtd is not installed (apt-get install tgt)' : false;

describe('tgt backend reconciliation', { skip }, () => {
  let dir: string;
  let tgtd: TgtdSupervisor;

  after(async () => {
    await tgtd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('removes the targets and files of volumes that are not live, and nothing else', async () => {
    assert.ok(hasTgtd, 'CI=true: this test needs tgtd (.ci/run installs tgt)');
    dir = await mkdtemp(path.join(tmpdir(), 'nimbus-tgt-'));
    const tgtadm = new Tgtadm(unusedControlPort());
    const portal = `127.0.0.1:${await freePort()}`;
    const backend = new TgtVolumeBackend(tgtadm, dir, portal);
    tgtd = new TgtdSupervisor({ tgtadm, portal, log: createLogger('tgtd-test'), onReady: async () => {} });
    await tgtd.start();

    const [live, gone] = [randomUUID(), randomUUID()].map((volumeId) => ({ volumeId, sizeGb: 1, pool: 'p1' }));
    for (const v of [live, gone]) {
      await backend.createVolume(v);
      await backend.initializeConnection(await backend.createExport(v), 'node-1');
    }
    const t = Date.now();
    await tgtadm.targets();
    const showMs = Date.now() - t;
    assert.deepEqual(await backend.reconcile(new Set([live.volumeId])), [], 'files made moments ago are spared');
    assert.deepEqual(await backend.reconcile(new Set([live.volumeId]), 0), [gone.volumeId]);
    assert.deepEqual(await backend.inventory(), { targets: [live.volumeId], files: [live.volumeId] });
    assert.equal(await stat(backend.files.image('p1', gone.volumeId)).catch(() => null), null);
    const [target] = await tgtadm.targets();
    assert.equal(target.accounts.length, 1, "the live volume's CHAP account stays");
    console.log(`# tgtadm --op show with 2 targets: ${showMs} ms`);
  });
});
