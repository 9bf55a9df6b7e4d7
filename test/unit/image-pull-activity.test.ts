/**
 * The compute agent's pullImage and destroyDomain activities over a real node cache and a
 * real HTTP image server: what a retried pull resumes from, what its heartbeats carry, how
 * failures are classified for the saga, and that images are pinned while used and evicted
 * after pulls once nothing uses them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createComputeActivities, type ComputeDeps, type PullProgress } from '../../activities/compute.js';
import type { ImageRef } from '../../contracts/instances.js';
import { FakeDriver } from '../../core/hypervisor/fake-driver.js';
import { NoInjections } from '../../core/hypervisor/failure-injector.js';
import { ImageStore } from '../../core/images/image-store.js';
import { NodeImageCache } from '../../core/images/node-cache.js';
import { contentRange, parseRange } from '../../core/images/range.js';
import { seedImageStream } from '../../core/images/seed-image.js';

const TOKEN = 'pull-test';

let dir: string;
let store: ImageStore;
let http: Server;
let baseUrl: string;
/** Served image id → blob digest; `cutAfter` drops the next response after that many bytes. */
const served = new Map<string, string>();
const requests: Array<{ id: string; range?: string }> = [];
let cutAfter: number | undefined;
let nodeDir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nimbus-pull-'));
  store = new ImageStore(path.join(dir, 'store'));
  http = createServer((req, res) => {
    const id = decodeURIComponent(/^\/v1\/images\/([^/]+)\/file$/.exec(req.url ?? '')?.[1] ?? '');
    requests.push({ id, range: req.headers.range });
    const sha = served.get(id);
    if (!sha || req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(404).end();
    const cut = cutAfter;
    cutAfter = undefined;
    void store.stat(sha).then((st) => {
      const range = parseRange(req.headers.range, st!.sizeBytes);
      if (range === 'unsatisfiable') return void res.writeHead(416).end();
      res.writeHead(range ? 206 : 200, {
        'content-length': range ? range.end - range.start + 1 : st!.sizeBytes,
        ...(range ? { 'content-range': contentRange(range, st!.sizeBytes) } : {}),
      });
      const body = store.createReadStream(sha, {
        ...range,
        end: cut === undefined ? range?.end : (range?.start ?? 0) + cut - 1,
      });
      body.pipe(res, { end: cut === undefined });
      // Half the body, then the connection drops, as a flaky network or a killed proxy would.
      if (cut !== undefined) body.on('end', () => setTimeout(() => res.socket?.destroy(), 20));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  nodeDir = await mkdtemp(path.join(dir, 'node-'));
  requests.length = 0;
  cutAfter = undefined;
});

async function image(id: string, size: number): Promise<ImageRef> {
  const { sha256, sizeBytes } = await store.put(seedImageStream(size));
  served.set(id, sha256);
  return { id, name: id, sha256, sizeBytes };
}

function activities(extra: Partial<ComputeDeps> = {}) {
  const images = new NodeImageCache({ nodeDir, baseUrl, token: TOKEN, progressEveryBytes: 64 * 1024 });
  const deps = {
    host: 'node-t',
    driver: new FakeDriver({ nodeDir }),
    images,
    faults: NoInjections,
    ...extra,
  } as ComputeDeps;
  return { images, act: createComputeActivities(deps) };
}

/** Runs an activity in a mock context; returns its outcome and every heartbeat's details. */
async function run<T>(fn: () => Promise<T>, heartbeatDetails?: unknown) {
  const env = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails }, {
    logger: quiet,
  });
  const beats: PullProgress[] = [];
  env.on('heartbeat', (d: PullProgress) => beats.push(d));
  try {
    return { value: await env.run(fn), beats, error: undefined };
  } catch (error) {
    return { value: undefined, beats, error };
  }
}

const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

async function cacheFiles(): Promise<string[]> {
  const root = path.join(nodeDir, 'images');
  return (await readdir(root, { recursive: true }).catch(() => [] as string[]))
    .map(String)
    .filter((f) => f !== 'partial')
    .sort();
}

async function inUse(): Promise<Record<string, string[]>> {
  return JSON.parse(await readFile(path.join(nodeDir, 'images', 'in-use.json'), 'utf8'));
}

describe('pullImage', () => {
  it('heartbeats bytes done, and a retry resumes with a Range request from the byte the broken attempt reached', async () => {
    const img = await image('resume', 1024 * 1024 + 17);
    const { act } = activities();
    const cut = 600 * 1024;
    cutAfter = cut;
    const first = await run(() => act.pullImage({ instanceId: 'i-1', image: img }));
    assert.ok(first.error instanceof ApplicationFailure, String(first.error));
    assert.equal(first.error.type, 'ImageDownloadFailed');
    assert.equal(first.error.nonRetryable, false, 'a broken download is retried on this host, not rescheduled');
    const reached = first.beats.at(-1)!;
    assert.equal(reached.total, img.sizeBytes);
    assert.ok(reached.bytes > 0 && reached.bytes <= cut, `reported ${reached.bytes}`);
    assert.deepEqual(await inUse(), {}, 'the failed attempt does not pin the image');

    // Temporal hands the retry the last heartbeat details of the attempt before.
    const second = await run(() => act.pullImage({ instanceId: 'i-1', image: img }), reached);
    assert.equal(second.error, undefined);
    assert.deepEqual(second.value, { cached: false });
    assert.deepEqual(second.beats[0], reached, 'progress carries on from where it was, not from 0');
    assert.deepEqual(second.beats.at(-1), { bytes: img.sizeBytes, total: img.sizeBytes });
    assert.equal(requests.length, 2);
    assert.match(requests[1].range ?? '', /^bytes=[1-9]\d*-$/);
    const from = Number(/bytes=(\d+)-/.exec(requests[1].range!)![1]);
    assert.ok(from >= reached.bytes, `resumed at ${from}, at least where the heartbeat said (${reached.bytes})`);
    assert.deepEqual(await cacheFiles(), [img.sha256, 'in-use.json']);
    const bytes = await readFile(path.join(nodeDir, 'images', img.sha256));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), img.sha256);
    assert.deepEqual(await inUse(), { [img.sha256]: ['i-1'] });
  });

  it('fails ImageChecksumMismatch, not retryable, and leaves neither bytes nor a pin behind', async () => {
    const real = await image('real', 200 * 1024);
    const other = await image('other', 200 * 1024 + 1);
    served.set('real', other.sha256); // the service now serves other bytes under this image
    const { act } = activities();
    const pulled = await run(() =>
      act.pullImage({ instanceId: 'i-2', image: { ...real, sizeBytes: other.sizeBytes } }),
    );
    assert.ok(pulled.error instanceof ApplicationFailure, String(pulled.error));
    assert.equal(pulled.error.type, 'ImageChecksumMismatch');
    assert.equal(pulled.error.nonRetryable, true);
    assert.deepEqual(await cacheFiles(), ['in-use.json']);
    assert.deepEqual(await inUse(), {});
    served.set('real', real.sha256);
  });

  it('answers cached without a request when the image is already on the node', async () => {
    const img = await image('twice', 100 * 1024);
    const { act } = activities();
    assert.deepEqual((await run(() => act.pullImage({ instanceId: 'i-3', image: img }))).value, { cached: false });
    assert.deepEqual((await run(() => act.pullImage({ instanceId: 'i-4', image: img }))).value, { cached: true });
    assert.equal(requests.length, 1);
    assert.deepEqual(await inUse(), { [img.sha256]: ['i-3', 'i-4'] });
  });

  it('evicts unused images after a pull, keeps pinned ones, and destroyDomain unpins by instance even without a domain', async () => {
    const a = await image('evict-a', 100 * 1024);
    const b = await image('evict-b', 100 * 1024 + 1);
    const c = await image('evict-c', 100 * 1024 + 2);
    const { act, images } = activities({ imageCacheMaxBytes: 150 * 1024 });
    await run(() => act.pullImage({ instanceId: 'i-a', image: a }));
    await run(() => act.pullImage({ instanceId: 'i-b', image: b }));
    // Both in use: the cache stays over its limit rather than delete what a domain boots from.
    assert.deepEqual(await cacheFiles(), [a.sha256, b.sha256, 'in-use.json'].sort());

    await images.release(a.sha256, 'i-a');
    await run(() => act.pullImage({ instanceId: 'i-c', image: c }));
    assert.deepEqual(await cacheFiles(), [b.sha256, c.sha256, 'in-use.json'].sort(), 'a, unused and oldest, went');

    // i-b's spawn never happened (no domain): its undo still unpins b, and b can go.
    const destroyed = await run(() => act.destroyDomain({ instanceId: 'i-b' }));
    assert.equal(destroyed.error, undefined);
    assert.deepEqual(await inUse(), { [c.sha256]: ['i-c'] });
    assert.deepEqual(await cacheFiles(), [c.sha256, 'in-use.json'].sort());
  });
});
