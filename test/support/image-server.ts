import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { after, afterEach, before, beforeEach } from 'node:test';
import { ImageStore } from '../../core/images/image-store.js';
import type { CacheableImage } from '../../core/images/node-cache.js';
import { contentRange, parseRange } from '../../core/images/range.js';
import { seedImageStream } from '../../core/images/seed-image.js';

/** A tiny image service: GET /v1/images/:id/file with Range, plus knobs to misbehave. */
export interface ImageServer {
  baseUrl: string;
  requests: Array<{ id: string; range: string | undefined; authorization: string | undefined }>;
  /** Per request, in order: close the connection after this many body bytes (undefined = no cut). */
  cuts: Array<number | undefined>;
  ignoreRange: boolean;
  /** image id → blob digest in the store (the served bytes). */
  files: Map<string, string>;
  close(): Promise<void>;
}

export interface ImageServerFixture {
  store: ImageStore;
  server: ImageServer;
  /** A fresh node directory, one per test. */
  nodeDir: string;
  /** Registers an image of `size` deterministic bytes under `id` and returns its reference. */
  image: (id: string, size: number) => Promise<CacheableImage>;
}

/**
 * An image store and server for the tests of this file (made in `before`, gone in `after`),
 * and a fresh node directory and untouched server knobs for each test. `use` receives the
 * fixture before each test.
 */
export function useImageServer(token: string, use: (fixture: ImageServerFixture) => void): void {
  let dir = '';
  const fixture = { nodeDir: '' } as ImageServerFixture;
  fixture.image = async (id, size) => {
    const { sha256, sizeBytes } = await fixture.store.put(seedImageStream(size));
    fixture.server.files.set(id, sha256);
    return { id, sha256, sizeBytes };
  };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nimbus-images-'));
    fixture.store = new ImageStore(path.join(dir, 'store'));
    fixture.server = await startImageServer(fixture.store, token);
  });
  after(async () => {
    await fixture.server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fixture.nodeDir = await mkdtemp(path.join(dir, 'node-'));
    fixture.server.ignoreRange = false;
    fixture.server.requests.length = 0;
    fixture.server.cuts.length = 0;
    use(fixture);
  });
  afterEach(async () => {
    if (fixture.nodeDir) await rm(fixture.nodeDir, { recursive: true, force: true });
  });
}

export async function startImageServer(blobs: ImageStore, token: string): Promise<ImageServer> {
  const state: Omit<ImageServer, 'baseUrl' | 'close'> = {
    requests: [],
    cuts: [],
    ignoreRange: false,
    files: new Map(),
  };
  const http: Server = createServer((req, res) => {
    const match = /^\/v1\/images\/([^/]+)\/file$/.exec(req.url ?? '');
    const id = match ? decodeURIComponent(match[1]) : '';
    state.requests.push({ id, range: req.headers.range, authorization: req.headers.authorization });
    const cut = state.cuts.shift();
    const sha = state.files.get(id);
    if (!sha || req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(sha ? 401 : 404).end();
      return;
    }
    void blobs.stat(sha).then((st) => {
      const size = st!.sizeBytes;
      const range = state.ignoreRange ? null : parseRange(req.headers.range, size);
      if (range === 'unsatisfiable') {
        res.writeHead(416, { 'content-range': contentRange(range, size) }).end();
        return;
      }
      const length = range ? range.end - range.start + 1 : size;
      res.writeHead(range ? 206 : 200, {
        'content-length': length,
        'accept-ranges': 'bytes',
        ...(range ? { 'content-range': contentRange(range, size) } : {}),
      });
      const body: Readable = blobs.createReadStream(sha, range ?? {});
      if (cut === undefined) {
        body.pipe(res);
        return;
      }
      let sent = 0;
      body.on('data', (chunk: Buffer) => {
        if (sent + chunk.length < cut) {
          sent += chunk.length;
          res.write(chunk);
          return;
        }
        body.destroy();
        // Let the client read what was sent, then drop the connection mid-body.
        res.write(chunk.subarray(0, cut - sent), () => setTimeout(() => res.socket?.destroy(), 50));
        sent = cut;
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return Object.assign(state, {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  });
}
