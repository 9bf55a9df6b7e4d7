/**
 * Tenants through the API: a project's token never sees another project's instances (404,
 * so ids do not leak), admin endpoints refuse project tokens, quotas hold under a burst of
 * concurrent builds, and an Idempotency-Key starts one build however often it is sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useStack } from '../support/use-stack.js';

describe('tenants, quotas and idempotency', () => {
  const { stack } = useStack({ env: { NIMBUS_HYPERVISOR_DELAY_MS: '0' } });
  const tiny = (name: string) => ({ name, flavor: 'm1.tiny', image: 'cirros', network: 'default' });

  async function project(name: string, quotas?: object): Promise<{ id: string; token: string }> {
    const p = await stack.api('POST', '/v1/projects', { name, quotas });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const t = await stack.api('POST', `/v1/projects/${p.body.id}/tokens`, { name: 'test' });
    assert.equal(t.status, 201);
    assert.match(t.body.token, /^nimbus-/);
    return { id: p.body.id, token: t.body.token };
  }

  const settled = (id: string, token: string) =>
    stack.waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/instances/${id}`, undefined, { token });
        return body.taskState === null && body.status !== 'BUILD' ? body : null;
      },
      60_000,
      `instance ${id} settled`,
    );

  it('keeps each project to its own instances and admin endpoints to admins', async () => {
    const a = await project('team-a');
    const b = await project('team-b');
    const created = await stack.api('POST', '/v1/instances', tiny('a-1'), { token: a.token });
    assert.equal(created.status, 202);
    const id = created.body.id;
    assert.equal(created.body.projectId, a.id);

    assert.equal((await stack.api('GET', `/v1/instances/${id}`, undefined, { token: a.token })).status, 200);
    const peek = await stack.api('GET', `/v1/instances/${id}`, undefined, { token: b.token });
    assert.equal(peek.status, 404, 'another project gets 404, not 403');
    assert.equal(peek.body.type, 'urn:nimbus:problem:not-found');
    assert.equal((await stack.api('DELETE', `/v1/instances/${id}`, undefined, { token: b.token })).status, 404);
    assert.deepEqual((await stack.api('GET', '/v1/instances', undefined, { token: b.token })).body, []);
    assert.deepEqual(
      (await stack.api('GET', '/v1/instances', undefined, { token: a.token })).body.map((i: any) => i.id),
      [id],
    );

    for (const [method, path] of [
      ['GET', '/v1/hosts'],
      ['GET', '/v1/ports'],
      ['POST', '/v1/projects'],
      ['GET', '/v1/admin/invariants'],
    ] as const) {
      const res = await stack.api(method, path, method === 'POST' ? { name: 'x' } : undefined, { token: a.token });
      assert.equal(res.status, 403, `${method} ${path} refuses a project token`);
    }
    assert.equal((await stack.api('GET', '/v1/instances', undefined, { token: 'not-a-token' })).status, 401);
    await settled(id, a.token);
  });

  it('enforces the instance quota atomically under 20 concurrent builds', async () => {
    const c = await project('team-c', { instances: 3 });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stack.api('POST', '/v1/instances', tiny(`c-${i}`), { token: c.token })),
    );
    const accepted = replies.filter((r) => r.status === 202);
    const refused = replies.filter((r) => r.status !== 202);
    assert.equal(accepted.length, 3, replies.map((r) => r.status).join(','));
    for (const r of refused) {
      assert.equal(r.status, 403);
      assert.equal(r.body.type, 'urn:nimbus:problem:quota-exceeded');
      assert.match(r.body.detail, /quota exceeded: 3 of 3 instances in use/);
    }
    const view = await stack.api('GET', `/v1/projects/${c.id}`);
    assert.deepEqual(view.body.usage, { instances: 3, vcpus: 3, ramMb: 1536, volumeGb: 0 });
    // Nothing was started for the refused ones.
    assert.equal((await stack.api('GET', '/v1/instances', undefined, { token: c.token })).body.length, 3);

    // A deleted instance gives its share back.
    const first = accepted[0].body.id;
    await settled(first, c.token);
    await stack.api('DELETE', `/v1/instances/${first}`, undefined, { token: c.token });
    await settled(first, c.token);
    assert.equal((await stack.api('POST', '/v1/instances', tiny('c-again'), { token: c.token })).status, 202);
    assert.equal((await stack.api('POST', '/v1/instances', tiny('c-over'), { token: c.token })).status, 403);
  });

  it('counts RAM and volume quotas too', async () => {
    const d = await project('team-d', { ramMb: 1024, volumeGb: 5 });
    assert.equal(
      (await stack.api('POST', '/v1/instances', { ...tiny('d-1'), volume: { sizeGb: 4 } }, { token: d.token })).status,
      202,
    );
    const vol = await stack.api('POST', '/v1/instances', { ...tiny('d-2'), volume: { sizeGb: 2 } }, { token: d.token });
    assert.equal(vol.status, 403);
    assert.match(vol.body.detail, /GB of volumes/);
    assert.equal((await stack.api('POST', '/v1/instances', tiny('d-3'), { token: d.token })).status, 202);
    const ram = await stack.api('POST', '/v1/instances', tiny('d-4'), { token: d.token });
    assert.equal(ram.status, 403);
    assert.match(ram.body.detail, /1024 of 1024 MB of RAM/);
  });

  it('counts standalone volumes against the volume quota, and never refuses a build for volumes it does not ask', async () => {
    const f = await project('team-f', { volumeGb: 5 });
    const create = (sizeGb: number) => stack.api('POST', '/v1/volumes', { sizeGb }, { token: f.token });
    // Concurrent creates queue on the project's lock: 4 + 4 GB never both fit under 5.
    const [a, b] = await Promise.all([create(4), create(4)]);
    assert.deepEqual([a.status, b.status].sort(), [201, 403], JSON.stringify([a.body, b.body]));
    const refused = a.status === 403 ? a : b;
    assert.equal(refused.body.type, 'urn:nimbus:problem:quota-exceeded');
    assert.match(refused.body.detail, /4 of 5 GB of volumes in use, 4 more asked/);
    assert.equal((await create(1)).status, 201);
    // The project is at its volume quota: a build without a volume still goes through.
    assert.equal((await stack.api('POST', '/v1/instances', tiny('f-1'), { token: f.token })).status, 202);
  });

  it('starts one build per Idempotency-Key, and refuses the key with another body', async () => {
    const e = await project('team-e');
    const headers = { 'idempotency-key': 'build-web-7' };
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => stack.api('POST', '/v1/instances', tiny('web-7'), { token: e.token, headers })),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      [202, 202, 202, 202, 202],
    );
    assert.equal(new Set(replies.map((r) => r.body.id)).size, 1, 'the same instance every time');
    assert.equal((await stack.api('GET', '/v1/instances', undefined, { token: e.token })).body.length, 1);
    const other = await stack.api('POST', '/v1/instances', tiny('web-8'), { token: e.token, headers });
    assert.equal(other.status, 409);
    assert.equal(other.body.type, 'urn:nimbus:problem:idempotency-key-reused');
  });
  it('answers a retry racing its first request at full quota with that request, not a quota refusal', async () => {
    const g = await project('team-g', { instances: 1 });
    const headers = { 'idempotency-key': 'the-only-one' };
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => stack.api('POST', '/v1/instances', tiny('g-1'), { token: g.token, headers })),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      [202, 202, 202, 202, 202, 202],
      JSON.stringify(replies.map((r) => r.body.detail ?? r.body.id)),
    );
    assert.equal(new Set(replies.map((r) => r.body.id)).size, 1);
    // The quota is full for anything else.
    assert.equal((await stack.api('POST', '/v1/instances', tiny('g-2'), { token: g.token })).status, 403);
    await settled(replies[0].body.id, g.token);
  });

  it('answers a retry of a build that ended in ERROR with 409 naming the instance and its fault', async () => {
    const h = await project('team-h');
    const flavor = { name: 'x1.nowhere', vcpus: 1, ramMb: 1_000_000, diskGb: 1 };
    assert.equal((await stack.api('POST', '/v1/flavors', flavor)).status, 201);
    const headers = { 'idempotency-key': 'too-big' };
    const body = { ...tiny('h-1'), flavor: flavor.name };
    const first = await stack.api('POST', '/v1/instances', body, { token: h.token, headers });
    assert.equal(first.status, 202);
    assert.equal((await settled(first.body.id, h.token)).status, 'ERROR');
    const retry = await stack.api('POST', '/v1/instances', body, { token: h.token, headers });
    assert.equal(retry.status, 409, JSON.stringify(retry.body));
    assert.equal(retry.body.type, 'urn:nimbus:problem:idempotent-request-failed');
    assert.equal(retry.body.instance, first.body.id);
    assert.match(retry.body.detail, new RegExp(`instance ${first.body.id}, which is ERROR: NoValidHost`));
  });
});
