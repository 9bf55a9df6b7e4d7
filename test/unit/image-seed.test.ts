import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  seedImageSha256,
  seedImageStream,
  SEED_IMAGE_NAME,
  SEED_IMAGE_SIZE_BYTES,
} from '../../core/images/seed-image.js';

async function digest(stream: NodeJS.ReadableStream): Promise<{ sha256: string; size: number; head: Buffer }> {
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    if (head.length === 0) head = Buffer.from(buf.subarray(0, 64));
    hash.update(buf);
    size += buf.length;
  }
  return { sha256: hash.digest('hex'), size, head };
}

describe('seed image', () => {
  it('is a few MiB of the same bytes every time', async () => {
    const a = await digest(seedImageStream());
    const b = await digest(seedImageStream());
    assert.equal(SEED_IMAGE_NAME, 'cirros');
    assert.equal(a.size, SEED_IMAGE_SIZE_BYTES);
    assert.equal(a.size, 4 * 1024 * 1024);
    assert.equal(a.sha256, b.sha256);
    assert.equal(await seedImageSha256(), a.sha256);
    assert.match(a.sha256, /^[0-9a-f]{64}$/);
  });

  it('is not a run of one byte (real, varied content)', async () => {
    const { head } = await digest(seedImageStream());
    assert.ok(new Set(head).size > 30);
  });

  it('can be generated at another size, with a different digest', async () => {
    const small = await digest(seedImageStream(1000));
    assert.equal(small.size, 1000);
    assert.notEqual(small.sha256, await seedImageSha256());
  });
});
