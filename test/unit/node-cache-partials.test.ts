/**
 * Partial downloads in the node cache's eviction: they count toward the cache size, a
 * stale one (nobody wrote it for `partialStaleMs`) is deleted, and a fresh one, or one a
 * download in this process is writing, stays for an HTTP Range resume.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ImageStore } from '../../core/images/image-store.js';
import { NodeImageCache, type CacheableImage, type NodeImageCacheOptions } from '../../core/images/node-cache.js';
import { useImageServer, type ImageServer, type ImageServerFixture } from '../support/image-server.js';

const TOKEN = 'partials-token';
const HOUR = 60 * 60 * 1000;

let store: ImageStore;
let server: ImageServer;
let nodeDir: string;
let image: ImageServerFixture['image'];

useImageServer(TOKEN, (fixture) => ({ store, server, nodeDir, image } = fixture));

function cache(opts: Partial<NodeImageCacheOptions> = {}): NodeImageCache {
  return new NodeImageCache({ nodeDir, baseUrl: server.baseUrl, token: TOKEN, ...opts });
}

const partialOf = (img: CacheableImage) => path.join(nodeDir, 'images', 'partial', `${img.sha256}.part`);

/** Leaves the first `bytes` of the image in its partial file, last written `ageMs` ago. */
async function leavePartial(img: CacheableImage, bytes: number, ageMs = 0): Promise<void> {
  await mkdir(path.dirname(partialOf(img)), { recursive: true });
  await writeFile(partialOf(img), (await bytesOf(img)).subarray(0, bytes));
  const then = new Date(Date.now() - ageMs);
  await utimes(partialOf(img), then, then);
}

async function bytesOf(img: CacheableImage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of store.createReadStream(img.sha256, {})) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

describe('node cache partial downloads', () => {
  it('counts a partial toward the cache size, evicting images to make room for it', async () => {
    const whole = await image('p-whole', 100 * 1024);
    const half = await image('p-half', 200 * 1024);
    const c = cache();
    await c.ensure(whole);
    await leavePartial(half, 80 * 1024);

    const roomy = await c.evict(1024 * 1024);
    assert.deepEqual(roomy, { evicted: [], removedPartials: [], totalBytes: whole.sizeBytes + 80 * 1024 });

    // Room for either, not both: the partial, fresh, stays; the unused image goes.
    const tight = await c.evict(150 * 1024);
    assert.deepEqual(tight, { evicted: [whole.sha256], removedPartials: [], totalBytes: 80 * 1024 });
    assert.equal((await stat(partialOf(half))).size, 80 * 1024);
  });

  it('deletes a partial nobody has written for partialStaleMs, whatever the room', async () => {
    const img = await image('p-stale', 120 * 1024);
    await leavePartial(img, 50 * 1024, 2 * HOUR);
    const result = await cache().evict(1024 * 1024);
    assert.deepEqual(result, { evicted: [], removedPartials: [img.sha256], totalBytes: 0 });
    await assert.rejects(stat(partialOf(img)), { code: 'ENOENT' });
  });

  it('keeps a fresh partial, even over the limit, and resumes it with a Range request', async () => {
    const img = await image('p-fresh', 300 * 1024);
    await leavePartial(img, 100 * 1024, 10_000);
    const c = cache({ partialStaleMs: HOUR });
    assert.deepEqual(await c.evict(0), { evicted: [], removedPartials: [], totalBytes: 100 * 1024 });

    const result = await c.ensure(img);
    assert.deepEqual(
      server.requests.map((r) => r.range),
      [`bytes=${100 * 1024}-`],
    );
    assert.equal(await sha256Of(result.path), img.sha256);
  });

  it('never deletes the partial of a download in progress, however old its timestamp', async () => {
    const img = await image('p-live', 4 * 1024 * 1024);
    const c = cache({ partialStaleMs: 0, progressEveryBytes: 64 * 1024 });
    let evicting: ReturnType<NodeImageCache['evict']> | undefined;
    const result = await c.ensure(img, {
      onProgress: (done) => {
        if (done > 0) evicting ??= c.evict(0);
      },
    });
    assert.ok(evicting, 'evicted while downloading');
    assert.deepEqual((await evicting).removedPartials, []);
    assert.equal(await sha256Of(result.path), img.sha256);
    assert.equal(server.requests.length, 1);
  });
});
