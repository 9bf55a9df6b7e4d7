import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { QmpClient, QmpError } from '../../core/hypervisor/qemu/qmp-client.js';

type Handler = (cmd: { execute: string; arguments?: Record<string, unknown>; id?: unknown }, sock: Socket) => void;

let dir: string;
let server: Server;
let socketPath: string;
let received: string[];

/** A fake QEMU: greets, insists on qmp_capabilities first, then hands commands to `handler`. */
async function fakeQmp(handler: Handler, greet = true): Promise<void> {
  server = createServer((sock) => {
    let negotiated = false;
    let buf = '';
    if (greet) sock.write(JSON.stringify({ QMP: { version: { qemu: { major: 7 } }, capabilities: [] } }) + '\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const cmd = JSON.parse(buf.slice(0, nl)) as Parameters<Handler>[0];
        buf = buf.slice(nl + 1);
        received.push(cmd.execute);
        if (cmd.execute === 'qmp_capabilities') {
          negotiated = true;
          sock.write(JSON.stringify({ return: {}, id: cmd.id }) + '\r\n');
        } else if (!negotiated) {
          sock.write(
            JSON.stringify({ error: { class: 'CommandNotFound', desc: 'negotiate first' }, id: cmd.id }) + '\n',
          );
        } else handler(cmd, sock);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nimbus-qmp-'));
  socketPath = path.join(dir, 'qmp.sock');
  received = [];
});

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('QmpClient', () => {
  it('negotiates capabilities, then correlates replies by id even out of order', async () => {
    const held: Array<() => void> = [];
    await fakeQmp((cmd, sock) => {
      const reply = () => sock.write(JSON.stringify({ return: { echo: cmd.execute }, id: cmd.id }) + '\n');
      if (cmd.execute === 'slow') held.push(reply);
      else {
        reply();
        held.forEach((r) => r()); // the slow one answers after the fast one
      }
    });
    const qmp = await QmpClient.connect(socketPath);
    const slow = qmp.execute<{ echo: string }>('slow');
    const fast = qmp.execute<{ echo: string }>('query-status');
    assert.deepEqual(await fast, { echo: 'query-status' });
    assert.deepEqual(await slow, { echo: 'slow' });
    assert.deepEqual(received, ['qmp_capabilities', 'slow', 'query-status']);
    qmp.close();
  });

  it('turns an error reply into a QmpError with its class', async () => {
    await fakeQmp((cmd, sock) => {
      sock.write(
        JSON.stringify({ error: { class: 'DeviceNotFound', desc: "Device 'x' not found" }, id: cmd.id }) + '\n',
      );
    });
    const qmp = await QmpClient.connect(socketPath);
    await assert.rejects(qmp.execute('device_del', { id: 'x' }), (err: unknown) => {
      assert.ok(err instanceof QmpError);
      assert.equal(err.errorClass, 'DeviceNotFound');
      return true;
    });
    qmp.close();
  });

  it('delivers an event sent before the reply of the command that caused it', async () => {
    await fakeQmp((cmd, sock) => {
      sock.write(JSON.stringify({ event: 'DEVICE_DELETED', data: { device: 'disk1' } }) + '\n');
      sock.write(JSON.stringify({ return: {}, id: cmd.id }) + '\n');
    });
    const qmp = await QmpClient.connect(socketPath);
    const deleted = qmp.waitForEvent('DEVICE_DELETED', (e) => e.data?.device === 'disk1');
    await qmp.execute('device_del', { id: 'disk1' });
    assert.equal((await deleted).data?.device, 'disk1');
    qmp.close();
  });

  it('times out a command QEMU never answers, and honours an AbortSignal', async () => {
    await fakeQmp(() => undefined);
    const qmp = await QmpClient.connect(socketPath);
    await assert.rejects(qmp.execute('query-status', undefined, { timeoutMs: 50 }), /timed out after 50 ms/);
    const ac = new AbortController();
    const pending = qmp.execute('query-status', undefined, { signal: ac.signal });
    ac.abort(new Error('activity cancelled'));
    await assert.rejects(pending, /activity cancelled/);
    await assert.rejects(qmp.waitForEvent('SHUTDOWN', undefined, { timeoutMs: 30 }), /QMP event SHUTDOWN timed out/);
    qmp.close();
  });

  it('rejects pending commands and event waits when QEMU goes away, and after close', async () => {
    let peer: Socket | undefined;
    await fakeQmp((_cmd, sock) => {
      peer = sock;
    });
    const qmp = await QmpClient.connect(socketPath);
    const pending = qmp.execute('quit');
    const event = qmp.waitForEvent('SHUTDOWN');
    await new Promise((r) => setTimeout(r, 20));
    peer?.destroy();
    await assert.rejects(pending, /closed/);
    await assert.rejects(event, /closed/);
    assert.equal(qmp.closed, true);
    await assert.rejects(qmp.execute('query-status'), /closed/);
    qmp.close(); // twice is harmless
  });

  it('fails to connect when nothing greets within the timeout, or nothing listens', async () => {
    await fakeQmp(() => undefined, false);
    await assert.rejects(QmpClient.connect(socketPath, { timeoutMs: 50 }), /greeting .* timed out/);
    await assert.rejects(QmpClient.connect(path.join(dir, 'absent.sock')), /ENOENT/);
  });
});
