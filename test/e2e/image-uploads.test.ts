/**
 * Image uploads at their limits: a size limit answered with 413 (declared or streamed), an
 * idle connection closed while a slow but steady one is not, a delete during an upload that
 * wins, and uploads a crashed API left `saving` going back to `queued`.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { useStack } from '../support/use-stack.js';

const KiB = 1024;

describe('image uploads', () => {
  const { stack } = useStack({ env: { NIMBUS_IMAGE_MAX_BYTES: String(256 * KiB), NIMBUS_UPLOAD_IDLE_TIMEOUT: '2' } });

  const newImage = async (name: string): Promise<string> => {
    const created = await stack.api('POST', '/v1/images', { name });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id as string;
  };
  const statusOf = async (id: string) => (await stack.api('GET', `/v1/images/${id}`)).body.status as string;

  /** A chunked PUT of the image's bytes, written by the test at its own pace. */
  function streamUpload(id: string) {
    const url = new URL(`${stack.apiUrl}/v1/images/${id}/file`);
    const req = request(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/octet-stream' },
    });
    const response = new Promise<{ status: number; body: string } | { closed: string }>((resolve) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', (err) => resolve({ closed: err.message }));
    });
    return { req, response };
  }

  it('refuses an upload over NIMBUS_IMAGE_MAX_BYTES with 413, declared or streamed, and keeps the image queued', async () => {
    const id = await newImage('too-big');
    const declared = await stack.api('PUT', `/v1/images/${id}/file`, Buffer.alloc(300 * KiB), {
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(declared.status, 413, JSON.stringify(declared.body));
    assert.equal(declared.body.type, 'urn:nimbus:problem:payload-too-large');
    assert.equal(await statusOf(id), 'queued');

    const { req, response } = streamUpload(id);
    for (let i = 0; i < 5 && !req.destroyed; i++) {
      req.write(Buffer.alloc(64 * KiB, i));
      await sleep(50);
    }
    req.end();
    const streamed = await response;
    assert.ok('closed' in streamed || streamed.status === 413, JSON.stringify(streamed));
    await stack.waitFor(async () => (await statusOf(id)) === 'queued', 5000, 'back to queued');

    const ok = await stack.api('PUT', `/v1/images/${id}/file`, Buffer.alloc(200 * KiB, 7), {
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.status, 'active');
  });

  it('closes an upload silent for the idle timeout, but not a slow steady one that outlasts it', async () => {
    const idle = await newImage('idle');
    const silent = streamUpload(idle);
    silent.req.write(Buffer.alloc(KiB));
    const cut = await silent.response; // nothing more is sent
    assert.ok('closed' in cut || cut.status >= 400, JSON.stringify(cut));
    await stack.waitFor(async () => (await statusOf(idle)) === 'queued', 5000, 'the idle upload released');

    const steady = await newImage('steady');
    const slow = streamUpload(steady);
    for (let i = 0; i < 5; i++) {
      slow.req.write(Buffer.alloc(KiB, i));
      await sleep(1000); // 5 s in all: longer than the 2 s idle timeout, never silent for it
    }
    slow.req.end();
    const done = await slow.response;
    assert.ok('status' in done && done.status === 200, JSON.stringify(done));
    assert.equal(await statusOf(steady), 'active');
  });

  it('lets a delete during an upload win: the upload gets 409 and the image stays deleted', async () => {
    const id = await newImage('deleted-mid-upload');
    const { req, response } = streamUpload(id);
    req.write(Buffer.alloc(16 * KiB, 1));
    await stack.waitFor(async () => (await statusOf(id)) === 'saving', 5000, 'saving');
    assert.equal((await stack.api('DELETE', `/v1/images/${id}`)).status, 204);
    req.end(Buffer.alloc(16 * KiB, 2));
    const finished = await response;
    assert.ok('status' in finished && finished.status === 409, JSON.stringify(finished));
    assert.match(finished.body, /was deleted during its upload/);
    assert.equal((await stack.api('GET', `/v1/images/${id}`)).status, 404);
    const listed = (await stack.api('GET', '/v1/images')).body as Array<{ id: string }>;
    assert.ok(!listed.some((i) => i.id === id));
  });
});
