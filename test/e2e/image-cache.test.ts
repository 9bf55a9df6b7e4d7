/**
 * The image service and the node image cache on the real stack. The agents download
 * through a loopback proxy (NIMBUS_API_URL) that can stall or cut a download, as a
 * network would; the API's own /metrics counts what the image service served.
 *  - the image service: upload streamed, metadata, Range, delete refused while building;
 *  - a corrupted image ends the build ERROR with ImageChecksumMismatch at once, leaving
 *    no bytes in the node cache and the claim released;
 *  - two builds of one image on one host download it once, a third not at all;
 *  - a download cut half-way resumes with a Range request and the build ends ACTIVE,
 *    its progress (bytes done/total) visible in GET /v1/instances/:id meanwhile.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitBuildEnded } from '../support/instances.js';
import { useStack } from '../support/use-stack.js';
import { ImageProxy } from './image-proxy.js';

const MiB = 1024 * 1024;

describe('image service and node image cache', () => {
  const proxy = new ImageProxy();
  const { stack } = useStack(async () => ({
    env: { NIMBUS_HYPERVISOR_DELAY_MS: '50', NIMBUS_API_URL: await proxy.listen() },
  }));

  before(() => {
    proxy.targetPort = Number(new URL(stack.apiUrl).port);
  });

  after(async () => {
    await proxy.close();
  });

  /** Registers an image and uploads `bytes` with their declared checksum. */
  async function upload(name: string, bytes: Buffer) {
    const created = await stack.api('POST', '/v1/images', { name });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.status, 'queued');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const put = await stack.api('PUT', `/v1/images/${created.body.id}/file`, bytes, {
      headers: { 'content-type': 'application/octet-stream', 'x-image-sha256': sha256 },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    return put.body as { id: string; name: string; status: string; sha256: string; sizeBytes: number };
  }

  async function build(name: string, image: string): Promise<string> {
    const res = await stack.api('POST', '/v1/instances', { name, flavor: 'm1.tiny', image, network: 'default' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  }

  const settled = (id: string) => waitBuildEnded(stack, id);

  /** The image service's own count of file downloads served, by kind (full or range). */
  async function downloads(imageId: string): Promise<{ full: number; range: number }> {
    const { body } = await stack.api<string>('GET', '/metrics', undefined, { token: null });
    const count = (kind: string) =>
      body
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('nimbus_image_downloads_total{') &&
            l.includes(`image="${imageId}"`) &&
            l.includes(`kind="${kind}"`),
        )
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    return { full: count('full'), range: count('range') };
  }

  const cacheDir = (host: string) => path.join(stack.dataDir, 'nodes', host, 'images');
  const files = async (host: string) =>
    (await readdir(cacheDir(host), { recursive: true }).catch(() => [])).map(String);

  it('stores an upload content-addressed, serves it whole and by Range', async () => {
    const bytes = randomBytes(3 * MiB + 5);
    const image = await upload('range-check', bytes);
    assert.equal(image.status, 'active');
    assert.equal(image.sizeBytes, bytes.length);
    assert.equal(image.sha256, createHash('sha256').update(bytes).digest('hex'));
    const blob = path.join(stack.dataDir, 'images', 'sha256', image.sha256.slice(0, 2), image.sha256);
    assert.ok((await readFile(blob)).equals(bytes), 'the blob on disk is the upload, named by its digest');
    assert.equal((await stack.api('GET', `/v1/images/${image.id}`)).body.sha256, image.sha256);
    assert.ok((await stack.api('GET', '/v1/images')).body.some((i: any) => i.id === image.id));

    const part = await fetch(`${stack.apiUrl}/v1/images/${image.id}/file`, {
      headers: { authorization: `Bearer ${stack.adminToken}`, range: `bytes=${2 * MiB}-` },
    });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes ${2 * MiB}-${bytes.length - 1}/${bytes.length}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(2 * MiB)));
    const beyond = await stack.api('GET', `/v1/images/${image.id}/file`, undefined, {
      headers: { range: `bytes=${bytes.length}-` },
    });
    assert.equal(beyond.status, 416);
    assert.deepEqual(await downloads(image.id), { full: 0, range: 1 });
    assert.equal(
      (await stack.api('PUT', `/v1/images/${image.id}/file`, bytes)).status,
      409,
      "an image's bytes are immutable",
    );
  });

  it('ends a build of a corrupted image ERROR with ImageChecksumMismatch, on one host, leaving nothing behind', async () => {
    const image = await upload('corrupt', randomBytes(2 * MiB));
    // Rot on the image service's disk: same size, other bytes.
    const blob = await open(path.join(stack.dataDir, 'images', 'sha256', image.sha256.slice(0, 2), image.sha256), 'r+');
    await blob.write(Buffer.alloc(4096, 0xee), 0, 4096, MiB);
    await blob.close();

    const id = await build('corrupt-1', image.id);
    const ended = await settled(id);
    assert.equal(ended.status, 'ERROR');
    assert.equal(ended.fault.code, 'ImageChecksumMismatch', JSON.stringify(ended.fault));
    assert.equal(ended.fault.step, 'pull_image');
    assert.match(ended.fault.message, new RegExp(image.sha256));
    const host = ended.fault.host;
    assert.match(host, /^node-[123]$/);
    assert.deepEqual(
      ended.attempts.map((a: any) => a.host),
      [host],
      'no other host is tried: it would get the same bytes',
    );

    const left = await files(host);
    assert.deepEqual(
      left.filter((f) => f !== 'partial' && f !== 'in-use.json'),
      [],
      `node cache of ${host}: ${left.join(', ')}`,
    );
    assert.ok(
      !(await readFile(path.join(cacheDir(host), 'in-use.json'), 'utf8')).includes(image.sha256),
      'the image is not pinned',
    );
    const hosts = (await stack.api('GET', '/v1/hosts')).body;
    const usage = hosts.find((h: any) => h.name === host);
    assert.deepEqual([usage.vcpusUsed, usage.ramMbUsed, usage.diskGbUsed], [0, 0, 0], 'the claim was released');
  });

  it('downloads an image once for two builds on one host, and not at all for a third', async () => {
    for (const name of ['node-2', 'node-3']) {
      assert.equal((await stack.api('PUT', `/v1/hosts/${name}`, { disabled: true })).status, 200);
    }
    const image = await upload('shared', randomBytes(8 * MiB));
    // Stall the download for a while, so both builds are pulling at once and must share it.
    proxy.interrupt({ path: `/v1/images/${image.id}/file`, afterBytes: 2 * MiB, stallMs: 3000, cut: false });
    const ids = await Promise.all([build('shared-1', image.id), build('shared-2', image.id)]);

    const refused = await stack.api('DELETE', `/v1/images/${image.id}`);
    assert.equal(refused.status, 409, 'an image a build is using cannot be deleted');
    assert.match(refused.headers.get('content-type') ?? '', /problem\+json/);

    await stack.waitFor(
      async () => {
        const views = await Promise.all(ids.map(async (id) => (await stack.api('GET', `/v1/instances/${id}`)).body));
        return views.every((v) => v.taskState === 'pulling_image');
      },
      20_000,
      'both builds pulling at the same time',
    );

    for (const id of ids) {
      const ended = await settled(id);
      assert.equal(ended.status, 'ACTIVE', JSON.stringify(ended.fault));
      assert.equal(ended.host, 'node-1');
    }
    assert.deepEqual(await downloads(image.id), { full: 1, range: 0 });
    assert.ok((await files('node-1')).includes(image.sha256));

    const third = await settled(await build('shared-3', image.id));
    assert.equal(third.status, 'ACTIVE', JSON.stringify(third.fault));
    assert.equal(third.host, 'node-1');
    assert.deepEqual(await downloads(image.id), { full: 1, range: 0 }, 'the third build used the cached copy');
  });

  it('resumes a download cut half-way with a Range request, showing progress, and ends ACTIVE', async () => {
    const bytes = randomBytes(12 * MiB);
    const image = await upload('resumed', bytes);
    const file = `/v1/images/${image.id}/file`;
    proxy.interrupt({ path: file, afterBytes: 6 * MiB, stallMs: 3000, cut: true });

    const id = await build('resumed-1', image.id);
    const seen: Array<{ bytesDone: number; bytesTotal: number }> = [];
    const ended = await stack.waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/instances/${id}`);
        if (body.progress?.image) seen.push(body.progress.image);
        return body.status === 'ACTIVE' || body.status === 'ERROR' ? body : null;
      },
      60_000,
      'resumed build ACTIVE',
    );
    assert.equal(ended.status, 'ACTIVE', JSON.stringify(ended.fault));
    assert.equal(ended.attempts.length, 1, 'resumed on the same host, not rescheduled');

    const requests = proxy.requests.filter((r) => r.path === file);
    assert.equal(requests[0].range, null);
    const resumed = requests.find((r) => r.range !== null);
    assert.ok(resumed, `a Range request followed the cut: ${JSON.stringify(requests)}`);
    const from = Number(/^bytes=(\d+)-$/.exec(resumed.range!)?.[1]);
    assert.ok(from > 0 && from <= 6 * MiB, `resumed from byte ${from}`);
    assert.deepEqual(await downloads(image.id), { full: 1, range: 1 });

    assert.ok(seen.length > 0, 'GET showed the pull progress while pulling');
    assert.ok(
      seen.every((p) => p.bytesTotal === bytes.length && p.bytesDone >= 0 && p.bytesDone <= bytes.length),
      JSON.stringify(seen),
    );
    assert.ok(
      seen.some((p) => p.bytesDone > 0 && p.bytesDone < bytes.length),
      `a partial figure was seen: ${JSON.stringify(seen)}`,
    );

    const cached = await readFile(path.join(cacheDir(ended.host), image.sha256));
    assert.equal(createHash('sha256').update(cached).digest('hex'), image.sha256);
    assert.deepEqual(
      (await files(ended.host)).filter((f) => f.startsWith('partial/')),
      [],
      'no partial file left',
    );
  });
});
