import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ImageChecksumMismatchError, ImageDownloadError, ImageNotFoundError } from '../../core/images/errors.js';
import { NodeImageCache } from '../../core/images/node-cache.js';
import { useImageServer, type ImageServer, type ImageServerFixture } from '../support/image-server.js';

const TOKEN = 'test-token';

let server: ImageServer;
let nodeDir: string;
let image: ImageServerFixture['image'];

useImageServer(TOKEN, (fixture) => ({ server, nodeDir, image } = fixture));

function cache(): NodeImageCache {
  return new NodeImageCache({ nodeDir, baseUrl: server.baseUrl + '/', token: TOKEN });
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

describe('NodeImageCache', () => {
  it('downloads, verifies and places the image, then serves it from the cache', async () => {
    const img = await image('img-a', 1024 * 1024 + 7);
    const progress: number[] = [];
    const first = await cache().ensure(img, {
      onProgress: (done, total) => (assert.equal(total, img.sizeBytes), progress.push(done)),
    });
    assert.equal(first.downloaded, true);
    assert.equal(first.path, path.join(nodeDir, 'images', img.sha256));
    assert.equal(await sha256Of(first.path), img.sha256);
    assert.deepEqual(await readdir(path.join(nodeDir, 'images', 'partial')), []);
    assert.deepEqual(server.requests, [{ id: 'img-a', range: undefined, authorization: `Bearer ${TOKEN}` }]);

    assert.equal(progress.at(-1), img.sizeBytes);
    assert.ok(progress.length <= img.sizeBytes / (256 * 1024) + 2, `progress throttled (${progress.length} calls)`);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
    );

    const second = await cache().ensure(img);
    assert.deepEqual(second, { path: first.path, downloaded: false });
    assert.equal(server.requests.length, 1, 'no second download');
  });

  it('shares one download between concurrent ensure() calls', async () => {
    const img = await image('img-b', 2 * 1024 * 1024);
    const c = cache();
    const results = await Promise.all([c.ensure(img), c.ensure(img), cache().ensure(img)]);
    assert.equal(server.requests.length, 1);
    for (const r of results) assert.deepEqual(r, { path: c.pathOf(img.sha256), downloaded: true });
    assert.equal(await sha256Of(results[0].path), img.sha256);
  });

  it('keeps a shared download going when one caller gives up', async () => {
    const img = await image('img-c', 3 * 1024 * 1024);
    const c = cache();
    const quitter = new AbortController();
    const a = c.ensure(img, { signal: quitter.signal });
    // Give up once the shared download is under way (first progress report).
    const b = c.ensure(img, { onProgress: () => quitter.abort(new Error('activity cancelled')) });
    await assert.rejects(a, /activity cancelled/);
    const result = await b;
    assert.equal(result.downloaded, true);
    assert.equal(await sha256Of(result.path), img.sha256);
    assert.equal(server.requests.length, 1);
  });

  it('stops the download when its only caller gives up, and resumes it later', async () => {
    const img = await image('img-c2', 3 * 1024 * 1024);
    const controller = new AbortController();
    const pending = cache().ensure(img, {
      signal: controller.signal,
      onProgress: (done) => done >= 512 * 1024 && controller.abort(new Error('cancelled')),
    });
    await assert.rejects(pending, /cancelled/);
    const partial = path.join(nodeDir, 'images', 'partial', `${img.sha256}.part`);
    const kept = (await stat(partial)).size;
    assert.ok(kept > 0 && kept < img.sizeBytes, `kept ${kept}`);
    const result = await cache().ensure(img);
    assert.equal(server.requests[1].range, `bytes=${kept}-`);
    assert.equal(await sha256Of(result.path), img.sha256);
  });

  it('resumes a broken download from the byte it reached', async () => {
    const img = await image('img-d', 2 * 1024 * 1024 + 333);
    const cut = 1024 * 1024 + 123;
    server.cuts.push(cut);
    await assert.rejects(cache().ensure(img), (err: unknown) => {
      assert.ok(err instanceof ImageDownloadError, String(err));
      return true;
    });
    const partial = path.join(nodeDir, 'images', 'partial', `${img.sha256}.part`);
    const kept = (await stat(partial)).size;
    assert.ok(kept > 0 && kept <= cut, `kept ${kept} of ${cut} bytes`);

    const progress: number[] = [];
    const result = await cache().ensure(img, { resumeFrom: kept, onProgress: (done) => progress.push(done) });
    assert.equal(result.downloaded, true);
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1].range, `bytes=${kept}-`);
    assert.equal(progress[0], kept, 'progress starts at the resumed offset');
    assert.equal(await sha256Of(result.path), img.sha256);
    await assert.rejects(stat(partial), { code: 'ENOENT' });
  });

  it('starts over when the server ignores the Range header', async () => {
    const img = await image('img-e', 600 * 1024);
    server.cuts.push(100 * 1024);
    await assert.rejects(cache().ensure(img), ImageDownloadError);
    server.ignoreRange = true;
    const result = await cache().ensure(img);
    assert.ok(server.requests[1].range?.startsWith('bytes='));
    assert.equal(await sha256Of(result.path), img.sha256);
  });

  it('deletes the partial and throws ImageChecksumMismatch when the bytes are wrong', async () => {
    const img = await image('img-f', 300 * 1024);
    const liar = await image('img-g', 300 * 1024 + 1);
    const wrong = { ...img, id: 'img-g', sizeBytes: liar.sizeBytes };
    await assert.rejects(cache().ensure(wrong), (err: unknown) => {
      assert.ok(err instanceof ImageChecksumMismatchError);
      assert.equal(err.code, 'ImageChecksumMismatch');
      return true;
    });
    assert.deepEqual(await readdir(path.join(nodeDir, 'images', 'partial')), []);
    assert.deepEqual((await readdir(path.join(nodeDir, 'images'))).sort(), ['partial']);
  });

  it('stops at once when the server sends more bytes than the image has', async () => {
    const small = await image('img-h', 1000);
    await image('img-big', 2 * 1024 * 1024);
    await assert.rejects(cache().ensure({ ...small, id: 'img-big' }), ImageChecksumMismatchError);
    assert.deepEqual(await readdir(path.join(nodeDir, 'images', 'partial')), []);
  });

  it('retries once from zero before blaming the image when resumed bytes were corrupt', async () => {
    const img = await image('img-i', 400 * 1024);
    const partialDir = path.join(nodeDir, 'images', 'partial');
    await mkdir(partialDir, { recursive: true });
    await writeFile(path.join(partialDir, `${img.sha256}.part`), Buffer.alloc(1000)); // torn: zeros
    const result = await cache().ensure(img);
    assert.equal(await sha256Of(result.path), img.sha256);
    assert.deepEqual(
      server.requests.map((r) => r.range),
      ['bytes=1000-', undefined],
    );
  });

  it('reports an image the service does not know', async () => {
    await assert.rejects(cache().ensure({ id: 'nope', sha256: 'c'.repeat(64), sizeBytes: 10 }), ImageNotFoundError);
  });

  it('evicts least recently used images first and never one in use, even after a restart', async () => {
    const a = await image('lru-a', 100 * 1024);
    const b = await image('lru-b', 100 * 1024 + 1);
    const c = await image('lru-c', 100 * 1024 + 2);
    const d = await image('lru-d', 100 * 1024 + 3);
    const first = cache();
    for (const img of [a, b, c, d]) {
      await first.ensure(img);
      await sleep(20);
    }
    await first.ensure(a); // a is now the most recently used
    await first.markInUse(b.sha256, 'inst-1');
    await first.markInUse(b.sha256, 'inst-1');

    const restarted = cache();
    const images = await restarted.list();
    assert.deepEqual(images.find((i) => i.sha256 === b.sha256)?.inUseBy, ['inst-1']);

    // Room for two: b (oldest, in use) stays, c goes, then d, a stays as most recent.
    const { evicted, totalBytes } = await restarted.evict(a.sizeBytes + b.sizeBytes);
    assert.deepEqual(evicted, [c.sha256, d.sha256]);
    assert.equal(totalBytes, a.sizeBytes + b.sizeBytes);
    assert.deepEqual((await restarted.list()).map((i) => i.sha256).sort(), [a.sha256, b.sha256].sort());

    // Nothing unused left to delete: the in-use image keeps the total above the limit.
    assert.deepEqual((await restarted.evict(0)).evicted, [a.sha256]);
    assert.deepEqual(
      (await restarted.list()).map((i) => i.sha256),
      [b.sha256],
    );

    await restarted.release(b.sha256, 'inst-1');
    await restarted.release(b.sha256, 'inst-1');
    assert.deepEqual((await cache().evict(0)).evicted, [b.sha256]);
    assert.deepEqual(JSON.parse(await readFile(path.join(nodeDir, 'images', 'in-use.json'), 'utf8')), {});
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
