/**
 * Power actions and the console through the API with the fake driver: stop → SHUTOFF with
 * power state 4, start → ACTIVE with 1, reboot, invalid transitions 409 as problem+json, an
 * unknown action 400, the console shows the fake guest's marker line, and hosts show their
 * hypervisor type. Then power-state sync: a domain shut off behind the API's back (as a
 * killed QEMU would be) makes its instance SHUTOFF at the next reconciliation pass.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { GUEST_READY_MARKER } from '../../core/hypervisor/guest-image/guest-init.js';
import { waitBuildEnded } from '../support/instances.js';
import type { TestStack } from '../support/stack.js';
import { useStack } from '../support/use-stack.js';

/** Posts the action and waits until its task is done; returns the instance as the API then shows it. */
async function act(stack: TestStack, id: string, action: string): Promise<any> {
  const res = await stack.api('POST', `/v1/instances/${id}/actions`, { action });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return stack.waitFor(
    async () => {
      const { body } = await stack.api('GET', `/v1/instances/${id}`);
      return body.taskState === null ? body : null;
    },
    30_000,
    `${action} of ${id} done`,
  );
}

async function build(stack: TestStack, name: string): Promise<any> {
  const res = await stack.api('POST', '/v1/instances', {
    name,
    flavor: 'm1.tiny',
    image: 'cirros',
    network: 'default',
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const active = await waitBuildEnded(stack, res.body.id);
  assert.equal(active.status, 'ACTIVE', JSON.stringify(active.fault));
  return active;
}

describe('power actions and the console through the API (fake driver)', () => {
  const env = { NIMBUS_HYPERVISOR: 'fake', NIMBUS_RECONCILE_INTERVAL: '1' };
  const { stack } = useStack({ agents: ['node-1'], env });

  it('hosts show their hypervisor type: the driver of their agent, none for a seeded host never registered', async () => {
    const hosts = await stack.api('GET', '/v1/hosts');
    const types = Object.fromEntries(hosts.body.map((h: any) => [h.name, h.hypervisorType]));
    assert.equal(types['node-1'], 'fake');
    for (const [name, type] of Object.entries(types)) if (name !== 'node-1') assert.equal(type, null, name);
  });

  it('stop, start and reboot move status and power state; wrong transitions are 409', async () => {
    const vm = await build(stack, 'power-1');
    assert.equal(vm.powerState, 1);
    const id: string = vm.id;

    const refused = await stack.api('POST', `/v1/instances/${id}/actions`, { action: 'start' });
    assert.equal(refused.status, 409);
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.match(refused.body.detail, /ACTIVE/);

    const stopped = await act(stack, id, 'stop');
    assert.deepEqual([stopped.status, stopped.powerState], ['SHUTOFF', 4]);
    for (const action of ['stop', 'reboot']) {
      const again = await stack.api('POST', `/v1/instances/${id}/actions`, { action });
      assert.equal(again.status, 409, `${action} of a SHUTOFF instance`);
    }

    const started = await act(stack, id, 'start');
    assert.deepEqual([started.status, started.powerState], ['ACTIVE', 1]);
    const rebooted = await act(stack, id, 'reboot');
    assert.deepEqual([rebooted.status, rebooted.powerState], ['ACTIVE', 1]);

    const unknown = await stack.api('POST', `/v1/instances/${id}/actions`, { action: 'hibernate' });
    assert.equal(unknown.status, 400, JSON.stringify(unknown.body));
    const missing = await stack.api('POST', '/v1/instances/00000000-0000-4000-8000-000000000000/actions', {
      action: 'stop',
    });
    assert.equal(missing.status, 404);

    const console = await stack.api('GET', `/v1/instances/${id}/console?lines=5`);
    assert.equal(console.status, 200, JSON.stringify(console.body));
    assert.ok(console.body.output.includes(`${GUEST_READY_MARKER} instance=${id}`), console.body.output);
    const one = await stack.api('GET', `/v1/instances/${id}/console?lines=1`);
    assert.equal(one.body.output.split('\n').length, 1);
    assert.equal((await stack.api('GET', `/v1/instances/${id}/console?lines=0`)).status, 400);
    assert.equal((await stack.api('GET', `/v1/instances/${id}/console?lines=abc`)).status, 400);

    const deleted = await stack.api('DELETE', `/v1/instances/${id}`);
    assert.equal(deleted.status, 202);
    await stack.waitFor(async () => (await stack.api('GET', `/v1/instances/${id}`)).body.status === 'DELETED');
    const gone = await stack.api('POST', `/v1/instances/${id}/actions`, { action: 'start' });
    assert.equal(gone.status, 409, 'a DELETED instance has no power');
  });

  it('power-state sync: a domain that shut off by itself makes its instance SHUTOFF; start brings it back', async () => {
    const vm = await build(stack, 'power-2');
    // What a killed QEMU looks like to the fake driver: its domain file says shutoff.
    const file = path.join(stack.dataDir, 'nodes', 'node-1', 'domains', `${vm.id}.json`);
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), state: 'shutoff' }));
    const synced = await stack.waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/instances/${vm.id}`);
        return body.status === 'SHUTOFF' ? body : null;
      },
      15_000,
      'SHUTOFF from the power-state sync',
    );
    assert.equal(synced.powerState, 4);
    const started = await act(stack, vm.id, 'start');
    assert.deepEqual([started.status, started.powerState], ['ACTIVE', 1]);
  });
});
