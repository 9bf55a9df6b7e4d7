/**
 * The node cache's in-use marks as the compute agent uses them: released by instance
 * (an undo knows only the instance), pruned at agent start to the instances that still
 * live on the node, and ordered with eviction so a pull that marks its image first can
 * never lose it to an eviction running at the same time. And the cache limit's variable.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, DEFAULT_IMAGE_CACHE_MAX_BYTES, loadConfig } from '../../core/config.js';
import { NodeImageCache } from '../../core/images/node-cache.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nimbus-pins-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha = (c: string) => c.repeat(64);

/** A cache with images already in place (content is irrelevant to marks and eviction). */
async function cacheWith(name: string, images: Record<string, number>): Promise<NodeImageCache> {
  const nodeDir = path.join(dir, name);
  await mkdir(path.join(nodeDir, 'images'), { recursive: true });
  for (const [digest, size] of Object.entries(images))
    await writeFile(path.join(nodeDir, 'images', digest), Buffer.alloc(size));
  return new NodeImageCache({ nodeDir, baseUrl: 'http://127.0.0.1:9', token: 't' });
}

async function pins(cache: NodeImageCache): Promise<Record<string, string[]>> {
  return JSON.parse(await readFile(path.join(cache.root, 'in-use.json'), 'utf8'));
}

describe('node cache in-use marks', () => {
  it('releaseInstance drops every mark of that instance and no other', async () => {
    const cache = await cacheWith('by-instance', { [sha('a')]: 10, [sha('b')]: 10 });
    await cache.markInUse(sha('a'), 'i-1');
    await cache.markInUse(sha('b'), 'i-1');
    await cache.markInUse(sha('b'), 'i-2');
    await cache.releaseInstance('i-1');
    await cache.releaseInstance('i-1');
    assert.deepEqual(await pins(cache), { [sha('b')]: ['i-2'] });
  });

  it('releaseAllExcept keeps the marks of live instances, survives a restart, and unpins the rest', async () => {
    const first = await cacheWith('prune', { [sha('a')]: 10, [sha('b')]: 10 });
    await first.markInUse(sha('a'), 'gone-1');
    await first.markInUse(sha('b'), 'live');
    await first.markInUse(sha('b'), 'gone-2');
    const restarted = new NodeImageCache({
      nodeDir: path.dirname(first.root),
      baseUrl: 'http://127.0.0.1:9',
      token: 't',
    });
    assert.deepEqual(await restarted.releaseAllExcept(new Set(['live', 'elsewhere'])), ['gone-1', 'gone-2']);
    assert.deepEqual(await pins(restarted), { [sha('b')]: ['live'] });
    assert.deepEqual((await restarted.evict(0)).evicted, [sha('a')]);
  });

  it('an eviction sees every mark issued before it, even one not yet written', async () => {
    const cache = await cacheWith('race', { [sha('c')]: 100, [sha('d')]: 100, [sha('e')]: 100 });
    // As pullImage does: mark, then look in the cache; an eviction in between must see the mark.
    const marks = [cache.markInUse(sha('c'), 'i-c'), cache.markInUse(sha('e'), 'i-e')];
    const evicting = cache.evict(0);
    await Promise.all(marks);
    assert.deepEqual((await evicting).evicted, [sha('d')]);
    assert.deepEqual((await readdir(cache.root)).filter((n) => n !== 'in-use.json').sort(), [sha('c'), sha('e')]);
  });
});

describe('NIMBUS_IMAGE_CACHE_MAX_BYTES', () => {
  it('defaults to 20 GiB, takes a byte count (0: keep only images in use) and refuses anything else', () => {
    assert.equal(loadConfig({}).imageCacheMaxBytes, DEFAULT_IMAGE_CACHE_MAX_BYTES);
    assert.equal(DEFAULT_IMAGE_CACHE_MAX_BYTES, 20 * 1024 ** 3);
    assert.equal(loadConfig({ NIMBUS_IMAGE_CACHE_MAX_BYTES: '1073741824' }).imageCacheMaxBytes, 1024 ** 3);
    assert.equal(loadConfig({ NIMBUS_IMAGE_CACHE_MAX_BYTES: '0' }).imageCacheMaxBytes, 0);
    for (const bad of ['-1', '1.5', '10GB', 'lots', '1e9']) {
      assert.throws(() => loadConfig({ NIMBUS_IMAGE_CACHE_MAX_BYTES: bad }), ConfigError, bad);
    }
  });
});
