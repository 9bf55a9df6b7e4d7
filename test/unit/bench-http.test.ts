import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BenchHttp } from '../../bench/http.js';

/**
 * The benchmark's keep-alive client against a server that drops a kept-alive socket as the
 * next request arrives on it, the race in which a POST failed with "socket hang up".
 */
describe('bench HTTP client, a kept-alive socket closed under a request', () => {
  let server: http.Server;
  let base: string;
  const served: string[] = [];

  before(async () => {
    const perSocket = new WeakMap<object, number>();
    server = http.createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n > 1) {
        req.socket.destroy(); // unread: as if the server's idle timeout had closed it first
        return;
      }
      served.push(`${req.method} ${String(req.headers['idempotency-key'] ?? '-')}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends a GET, or a POST with an Idempotency-Key, once more on a fresh socket', async () => {
    const client = new BenchHttp(base, 't', 1);
    try {
      served.length = 0;
      assert.equal((await client.request('GET', '/a')).status, 200);
      assert.equal((await client.request('GET', '/b')).status, 200);
      assert.equal((await client.request('POST', '/c', { x: 1 }, { 'Idempotency-Key': 'k1' })).status, 200);
      assert.equal(client.retriedOnReset, 2);
      assert.deepEqual(served, ['GET -', 'GET -', 'POST k1']);
    } finally {
      client.close();
    }
  });

  it('does not repeat a POST without a key: that could start a second build', async () => {
    const client = new BenchHttp(base, 't', 1);
    try {
      served.length = 0;
      await client.request('GET', '/a');
      await assert.rejects(client.request('POST', '/c', { x: 1 }), { code: 'ECONNRESET' });
      assert.equal(client.retriedOnReset, 0);
      assert.deepEqual(served, ['GET -']);
    } finally {
      client.close();
    }
  });
});
