/**
 * The `nimbus` CLI against the real stack, and the operator's window: the Temporal CLI
 * finds exactly the failed builds on one host by search attributes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, loadConfig } from '../../core/config.js';
import { resolveTemporalCli } from '../../devstack/temporal-cli.js';
import { useStack } from '../support/use-stack.js';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

describe('nimbus CLI and the Temporal UI queries', () => {
  const { stack } = useStack({ env: { NIMBUS_HYPERVISOR_DELAY_MS: '20' } });
  let env: NodeJS.ProcessEnv;

  /** Runs the CLI; never throws on a non-zero exit (the exit code is what is tested). */
  async function nimbus(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** `nimbus server create NAME` from cirros on the default network (m1.tiny unless told), then `flags`. */
  const createServer = (name: string, { flavor = 'm1.tiny', image = 'cirros' } = {}, ...flags: string[]) =>
    nimbus('server', 'create', name, '--flavor', flavor, '--image', image, '--network', 'default', ...flags);

  const faultAll = async (step: string, times: number) => {
    for (const host of ['node-1', 'node-2', 'node-3'])
      await stack.api('PUT', `/v1/admin/hosts/${host}/faults`, { step, mode: 'error', times });
  };
  const clearAll = async () => {
    for (const host of ['node-1', 'node-2', 'node-3']) await stack.api('DELETE', `/v1/admin/hosts/${host}/faults`);
  };

  before(() => {
    env = {
      ...process.env,
      NIMBUS_URL: stack.apiUrl,
      NIMBUS_TOKEN: stack.adminToken,
      NIMBUS_CONFIG: '/nonexistent/nimbus.json',
    };
  });

  it('creates an instance with --wait and exits 0 when it is ACTIVE', async () => {
    const res = await createServer('cli-ok', {}, '--volume-size', '1', '--wait');
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.match(res.stdout, /scheduling/);
    assert.match(res.stdout, /attempt 1 on node-\d: claimed/);
    assert.match(res.stdout, /cli-ok\s+ACTIVE\s+node-\d\s+m1\.tiny\s+10\.0\.0\.\d+\s+1G:vdb/);

    const list = await nimbus('server', 'list', '--json');
    assert.equal(list.code, 0);
    const listed = JSON.parse(list.stdout);
    assert.deepEqual(
      listed.map((i: any) => [i.name, i.status]),
      [['cli-ok', 'ACTIVE']],
    );

    const hosts = await nimbus('host', 'list');
    assert.match(hosts.stdout, /node-1\s+up/);
  });

  it('stops, starts and reboots a server with --wait, prints its console, and lists hosts with their hypervisor', async () => {
    const created = await createServer('cli-power', {}, '--wait', '--json');
    assert.equal(created.code, 0, created.stderr);
    const id: string = JSON.parse(created.stdout).id;
    const stop = await nimbus('server', 'stop', id, '--wait');
    assert.equal(stop.code, 0, stop.stderr + stop.stdout);
    assert.match(stop.stdout, /powering-off/);
    assert.match(stop.stdout, /cli-power\s+SHUTOFF/);
    const again = await nimbus('server', 'stop', id);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /error 409: .*SHUTOFF/);
    for (const action of ['start', 'reboot']) {
      const res = await nimbus('server', action, id, '--wait');
      assert.equal(res.code, 0, res.stderr + res.stdout);
      assert.match(res.stdout, /cli-power\s+ACTIVE/);
    }
    const console = await nimbus('server', 'console', id, '--lines', '1');
    assert.equal(console.code, 0, console.stderr);
    assert.equal(console.stdout, `NIMBUS-GUEST-READY instance=${id}\n`);
    const hosts = await nimbus('host', 'list');
    assert.match(hosts.stdout, /node-1\s+up\s+fake/);
  });

  it('exits non-zero with the fault when the build ends ERROR', async () => {
    await faultAll('spawn', 1);
    try {
      const res = await createServer('cli-fail', {}, '--wait');
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stdout, /ERROR: NoValidHost at claim: no valid host after 3 attempt\(s\)/);
      assert.equal((res.stdout.match(/^ {2}attempt \d on node-\d: failed/gm) ?? []).length, 3, res.stdout);
    } finally {
      await clearAll();
    }
  });

  it("refuses bad usage with exit code 2 and bad input with the API's reason", async () => {
    assert.equal((await nimbus('server', 'create', 'x')).code, 2);
    const bad = await createServer('x', { flavor: 'm9.nope' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error 422: .*flavor/);
  });

  it('uploads an image that a build then uses', async () => {
    const file = path.join(stack.dataDir, 'upload.img');
    writeFileSync(file, Buffer.alloc(3 * 1024 * 1024, 7));
    const up = await nimbus('image', 'upload', file, '--name', 'sevens', '--json');
    assert.equal(up.code, 0, up.stderr);
    const image = JSON.parse(up.stdout);
    assert.equal(image.status, 'active');
    assert.equal(image.sizeBytes, 3 * 1024 * 1024);
    const res = await createServer('cli-img', { image: 'sevens' }, '--wait', '--json');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(res.stdout).image, 'sevens');
  });

  it('finds exactly the failed builds on node-1 with one Temporal query', async () => {
    // node-1 only: a build that fails after placement (attach) is an ERROR whose ComputeHost is node-1.
    for (const host of ['node-2', 'node-3']) await stack.api('PUT', `/v1/hosts/${host}`, { disabled: true });
    await stack.api('PUT', '/v1/admin/hosts/node-1/faults', { step: 'attach_volume', mode: 'error', times: 20 });
    const failedOnNode1: string[] = [];
    try {
      for (const name of ['q-fail-1', 'q-fail-2']) {
        const res = await createServer(name, {}, '--volume-size', '1', '--wait', '--json');
        assert.equal(res.code, 1);
        const inst = JSON.parse(res.stdout);
        assert.equal(inst.host, 'node-1');
        failedOnNode1.push(`instance-${inst.id}`);
      }
    } finally {
      await stack.api('DELETE', '/v1/admin/hosts/node-1/faults');
      for (const host of ['node-2', 'node-3']) await stack.api('PUT', `/v1/hosts/${host}`, { disabled: false });
    }
    // ComputeHost is the host a build last ran on: the failed builds whose last attempt was node-1.
    const errors = (await stack.api('GET', '/v1/instances?status=ERROR')).body as any[];
    const expected = errors
      .filter((i) => (i.host ?? i.attempts.at(-1)?.host) === 'node-1')
      .map((i) => `instance-${i.id}`)
      .sort();
    assert.ok(failedOnNode1.every((id) => expected.includes(id)));
    const temporal = await resolveTemporalCli(loadConfig());
    const query = 'ComputeHost="node-1" AND InstanceStatus="ERROR"';
    const found = await stack.waitFor(
      async () => {
        const { stdout } = await run(temporal, [
          'workflow',
          'list',
          '--address',
          stack.temporalAddress,
          '--namespace',
          stack.temporalNamespace,
          '--query',
          query,
          '--output',
          'json',
        ]);
        const ids = (JSON.parse(stdout || '[]') as Array<{ execution: { workflowId: string } }>)
          .map((w) => w.execution.workflowId)
          .sort();
        return ids.length === expected.length ? ids : null;
      },
      20_000,
      query,
    );
    assert.deepEqual(found, expected);
  });
});
