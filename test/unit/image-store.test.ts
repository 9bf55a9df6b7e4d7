import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ImageChecksumMismatchError } from '../../core/images/errors.js';
import { ImageStore } from '../../core/images/image-store.js';
import { seedImageSha256, seedImageStream, SEED_IMAGE_SIZE_BYTES } from '../../core/images/seed-image.js';

let root: string;
let store: ImageStore;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'nimbus-store-'));
  store = new ImageStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('ImageStore', () => {
  it('stores bytes under sha256/<first2>/<hex> and returns their digest and size', async () => {
    const stored = await store.put(Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    assert.deepEqual(stored, { sha256: sha256('hello world'), sizeBytes: 11 });
    const file = path.join(root, 'sha256', stored.sha256.slice(0, 2), stored.sha256);
    assert.equal(store.path(stored.sha256), file);
    assert.equal(await readFile(file, 'utf8'), 'hello world');
    assert.equal(await store.has(stored.sha256), true);
    assert.deepEqual(await store.stat(stored.sha256), { sizeBytes: 11, path: file });
    assert.deepEqual(await readdir(path.join(root, 'tmp')), [], 'no temp file left');
  });

  it('stores the same content once', async () => {
    const a = await store.put(Readable.from([Buffer.from('same bytes')]));
    const b = await store.put(Readable.from([Buffer.from('same'), Buffer.from(' bytes')]));
    assert.deepEqual(a, b);
    assert.deepEqual(await readdir(path.join(root, 'sha256', a.sha256.slice(0, 2))), [a.sha256]);
  });

  it('streams a multi-megabyte image in and reads ranges back', async () => {
    const stored = await store.put(seedImageStream());
    assert.deepEqual(stored, { sha256: await seedImageSha256(), sizeBytes: SEED_IMAGE_SIZE_BYTES });
    const whole = await readFile(store.path(stored.sha256));
    const slice = await collect(store.createReadStream(stored.sha256, { start: 1000, end: 1999 }));
    assert.deepEqual(slice, whole.subarray(1000, 2000));
    const tail = await collect(store.createReadStream(stored.sha256, { start: SEED_IMAGE_SIZE_BYTES - 10 }));
    assert.deepEqual(tail, whole.subarray(SEED_IMAGE_SIZE_BYTES - 10));
  });

  it('stores nothing when the declared checksum does not match', async () => {
    await assert.rejects(
      store.put(Readable.from([Buffer.from('abc')]), { expectedSha256: sha256('abd') }),
      ImageChecksumMismatchError,
    );
    assert.equal(await store.has(sha256('abc')), false);
    assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
    const ok = await store.put(Readable.from([Buffer.from('abc')]), { expectedSha256: sha256('abc') });
    assert.equal(ok.sha256, sha256('abc'));
  });

  it('cleans up when the source fails half way', async () => {
    async function* broken() {
      yield Buffer.from('partial');
      await Promise.resolve(); // a later chunk fails, as a dropped socket would
      throw new Error('client went away');
    }
    await assert.rejects(store.put(broken()), /client went away/);
    assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
  });

  it('removes idempotently and rejects names that are not digests', async () => {
    const stored = await store.put(Readable.from([Buffer.from('bye')]));
    await store.remove(stored.sha256);
    await store.remove(stored.sha256);
    assert.equal(await store.stat(stored.sha256), null);
    assert.throws(() => store.path('../../etc/passwd'), RangeError);
    assert.throws(() => store.path('A'.repeat(64)), RangeError);
  });

  it('reads a small blob as text', async () => {
    const stored = await store.put(Readable.from(['plain text']));
    assert.equal(await text(store.createReadStream(stored.sha256)), 'plain text');
  });
});

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
