/**
 * Tenants through the API: a project's token never sees another project's instances (404,
 * so ids do not leak), admin endpoints refuse project tokens, quotas hold under a burst of
 * concurrent builds, and an Idempotency-Key starts one build however often it is sent.
 * Images belong to their project (private, public, shared), tokens expire and are revoked,
 * and the agents' service credential only reads image files.
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
  const upload = (id: string, bytes: Uint8Array, token: string) =>
    stack.api('PUT', `/v1/images/${id}/file`, bytes, {
      token,
      headers: { 'content-type': 'application/octet-stream' },
    });

  /** A project's image with its bytes (a few KiB: the fake driver boots anything). */
  async function ownImage(name: string, token: string, fill: number, visibility?: string): Promise<string> {
    const created = await stack.api('POST', '/v1/images', { name, ...(visibility ? { visibility } : {}) }, { token });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const put = await upload(created.body.id, new Uint8Array(4096).fill(fill), token);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    return created.body.id;
  }

  it("keeps a project's images its own: private by default, public cirros read-only, names per owner", async () => {
    const a = await project('img-a');
    const b = await project('img-b');
    const cirros = (await stack.api('GET', '/v1/images', undefined, { token: b.token })).body.find(
      (i: any) => i.name === 'cirros',
    );
    assert.equal(cirros.visibility, 'public');
    assert.equal(cirros.projectId, null);
    const secret = await ownImage('secret', a.token, 1);
    const mine = await stack.api('GET', `/v1/images/${secret}`, undefined, { token: a.token });
    assert.deepEqual([mine.body.projectId, mine.body.visibility], [a.id, 'private']);

    // Another project: not listed, and every way in is 404 (ids do not leak), in REST and GraphQL.
    const listed = (await stack.api('GET', '/v1/images', undefined, { token: b.token })).body.map((i: any) => i.id);
    assert.ok(!listed.includes(secret), 'not in the other project list');
    for (const [method, path, body] of [
      ['GET', `/v1/images/${secret}`],
      ['GET', `/v1/images/${secret}/file`],
      ['PUT', `/v1/images/${secret}/file`, new Uint8Array(10)],
      ['DELETE', `/v1/images/${secret}`],
    ] as const) {
      const res = await stack.api(method, path, body, {
        token: b.token,
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(res.status, 404, `${method} ${path} by another project`);
    }
    const gql = await stack.api('POST', '/graphql', { query: '{ images { id visibility } }' }, { token: b.token });
    assert.ok(!gql.body.data.images.some((i: any) => i.id === secret), 'not in GraphQL either');

    // The public seed: everyone reads it, nobody but the admin changes or deletes it.
    assert.equal((await stack.api('GET', `/v1/images/${cirros.id}/file`, undefined, { token: b.token })).status, 200);
    assert.equal((await stack.api('DELETE', `/v1/images/${cirros.id}`, undefined, { token: b.token })).status, 403);
    assert.equal((await upload(cirros.id, new Uint8Array(10), b.token)).status, 403);
    const publish = await stack.api('POST', '/v1/images', { name: 'mine', visibility: 'public' }, { token: b.token });
    assert.equal(publish.status, 403, 'only the admin publishes');

    // Names are unique per owner: b may call its own image cirros (once), and its builds boot it;
    // everyone else's builds by that name still boot the public one.
    const bCirros = await ownImage('cirros', b.token, 2);
    const again = await stack.api('POST', '/v1/images', { name: 'cirros' }, { token: b.token });
    assert.equal(again.status, 409);
    const bBuild = await stack.api('POST', '/v1/instances', tiny('b-own'), { token: b.token });
    assert.equal(bBuild.status, 202, JSON.stringify(bBuild.body));
    assert.equal(bBuild.body.imageId, bCirros, "the caller's own image first");
    const aBuild = await stack.api('POST', '/v1/instances', tiny('a-public'), { token: a.token });
    assert.equal(aBuild.body.imageId, cirros.id, "never another project's image of that name");

    // A build never boots an image its project cannot see, by id or by name.
    for (const image of [secret, 'secret']) {
      const stolen = await stack.api('POST', '/v1/instances', { ...tiny('steal'), image }, { token: b.token });
      assert.equal(stolen.status, 422, `build with ${image}: ${JSON.stringify(stolen.body)}`);
      assert.deepEqual(
        stolen.body.errors?.map((e: any) => e.field),
        ['image'],
      );
    }
    // The agent pulled b's private image with its image:read credential.
    assert.equal((await settled(bBuild.body.id, b.token)).status, 'ACTIVE');
    assert.equal((await settled(aBuild.body.id, a.token)).status, 'ACTIVE');

    // Only the owner (or the admin) changes an image; a rename keeps names unique per owner.
    const patch = (id: string, body: object, token: string) => stack.api('PATCH', `/v1/images/${id}`, body, { token });
    assert.equal((await patch(secret, { name: 'mine-now' }, b.token)).status, 404);
    assert.equal((await patch(cirros.id, { name: 'mine-now' }, b.token)).status, 403);
    assert.equal((await patch(bCirros, { visibility: 'public' }, b.token)).status, 403, 'only the admin publishes');
    await ownImage('other', a.token, 4);
    assert.equal((await patch(secret, { name: 'other' }, a.token)).status, 409);
    const renamed = await patch(secret, { name: 'secret-2', visibility: 'shared' }, a.token);
    assert.deepEqual([renamed.status, renamed.body.name, renamed.body.visibility], [200, 'secret-2', 'shared']);
    assert.equal((await stack.api('GET', `/v1/images/${secret}`, undefined, { token: b.token })).status, 404);

    // The owner deletes its image (the admin could too); the name is free again.
    assert.equal((await stack.api('DELETE', `/v1/images/${secret}`, undefined, { token: a.token })).status, 204);
    assert.equal((await stack.api('POST', '/v1/images', { name: 'secret-2' }, { token: a.token })).status, 201);
  });

  it('shows a shared image to the projects its owner names, and lets them build from it', async () => {
    const owner = await project('share-owner');
    const member = await project('share-member');
    const other = await project('share-other');
    const shared = await ownImage('golden', owner.token, 3, 'shared');
    const add = await stack.api(
      'POST',
      `/image/v2/images/${shared}/members`,
      { member: member.id },
      { token: owner.token },
    );
    assert.equal(add.status, 200, JSON.stringify(add.body));
    const names = async (token: string) =>
      (await stack.api('GET', '/v1/images', undefined, { token })).body.map((i: any) => i.name);
    // A member sees it by id at once, and in its list once it accepts (Glance's model).
    assert.equal((await stack.api('GET', `/v1/images/${shared}`, undefined, { token: member.token })).status, 200);
    assert.ok(!(await names(member.token)).includes('golden'));
    const accept = await stack.api(
      'PUT',
      `/image/v2/images/${shared}/members/${member.id}`,
      { status: 'accepted' },
      { token: member.token },
    );
    assert.equal(accept.status, 200, JSON.stringify(accept.body));
    assert.ok((await names(member.token)).includes('golden'));
    assert.equal((await stack.api('GET', `/v1/images/${shared}`, undefined, { token: other.token })).status, 404);
    assert.equal((await stack.api('DELETE', `/v1/images/${shared}`, undefined, { token: member.token })).status, 403);
    const build = await stack.api(
      'POST',
      '/v1/instances',
      { ...tiny('m-1'), image: 'golden' },
      { token: member.token },
    );
    assert.equal(build.status, 202, JSON.stringify(build.body));
    assert.equal(build.body.imageId, shared);
    const refused = await stack.api('POST', '/v1/instances', { ...tiny('o-1'), image: shared }, { token: other.token });
    assert.equal(refused.status, 422);
    await settled(build.body.id, member.token);
  });

  it('expires and revokes tokens: 401 problem+json afterwards', async () => {
    const g = await project('tokens-g');
    const h = await project('tokens-h');
    const unauthorized = async (token: string, what: string) => {
      const res = await stack.api('GET', '/v1/instances', undefined, { token });
      assert.equal(res.status, 401, what);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(res.body.type, 'urn:nimbus:problem:unauthorized');
    };
    const issue = (p: { id: string }, body: object = { name: 'x' }) =>
      stack.api('POST', `/v1/projects/${p.id}/tokens`, body);

    const long = await issue(g);
    const days = (Date.parse(long.body.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, `a default token lives 30 days (NIMBUS_API_TOKEN_TTL): ${long.body.expiresAt}`);
    const short = await issue(g, { name: 'short', ttlSeconds: 1 });
    assert.equal((await stack.api('GET', '/v1/instances', undefined, { token: short.body.token })).status, 200);

    // The caller revokes its own token.
    assert.equal((await stack.api('DELETE', '/v1/tokens/current', undefined, { token: long.body.token })).status, 204);
    await unauthorized(long.body.token, 'a revoked token');

    // By id: a project revokes only its own project's tokens; the admin any.
    const gToken = (await issue(g)).body;
    const hToken = (await issue(h)).body;
    const cross = await stack.api('DELETE', `/v1/tokens/${hToken.id}`, undefined, { token: gToken.token });
    assert.equal(cross.status, 404);
    assert.equal((await stack.api('GET', '/v1/instances', undefined, { token: hToken.token })).status, 200);
    assert.equal((await stack.api('DELETE', `/v1/tokens/${hToken.id}`)).status, 204);
    await unauthorized(hToken.token, 'a token the admin revoked');

    await new Promise((resolve) => setTimeout(resolve, 1100));
    await unauthorized(short.body.token, 'an expired token');
  });

  it("limits the agents' service credential to reading image files", async () => {
    const agent = { token: stack.agentToken };
    const cirros = (await stack.api('GET', '/v1/images')).body.find((i: any) => i.name === 'cirros');
    const file = await stack.api('GET', `/v1/images/${cirros.id}/file`, undefined, agent);
    assert.equal(file.status, 200);
    for (const [method, path, body] of [
      ['GET', '/v1/images'],
      ['GET', `/v1/images/${cirros.id}`],
      ['DELETE', `/v1/images/${cirros.id}`],
      ['GET', '/v1/instances'],
      ['POST', '/v1/instances', tiny('agent')],
      ['GET', '/v1/hosts'],
      ['POST', '/graphql', { query: '{ images { id } }' }],
    ] as const) {
      const res = await stack.api(method, path, body, agent);
      const status = path === '/graphql' ? res.body.errors?.[0]?.extensions?.status : res.status;
      assert.equal(status, 403, `${method} ${path} with the agent credential`);
    }
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
