/**
 * The real `openstack` CLI (python-openstackclient 10.5.0 with openstacksdk 4.22, from the
 * project's venv) against the real stack on the fake hypervisor: every command of issue 15's
 * "Done when" list exits 0 with the expected output, and a build that fails makes
 * `server create --wait` exit 1 with the fault on the server. Then Keystone: password, token
 * and application-credential logins, tenants kept apart (404), expired and revoked tokens (401).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { sha256Hex } from '../../core/db/seeds.js';
import { adminOsEnv, openstack, openstackJson, openstackOk } from '../support/openstack-cli.js';
import { useStack } from '../support/use-stack.js';
import { roomyHosts } from '../support/stack.js';

describe('the openstack CLI against Nimbus', () => {
  const { stack, db } = useStack({ agents: ['node-1', 'node-2'], env: roomyHosts(64, 262_144, 4000), db: true });
  let env: Record<string, string>;
  before(() => {
    env = adminOsEnv(stack);
    assert.equal(env.OS_AUTH_URL, `${stack.apiUrl}/identity/v3`);
    assert.equal(env.OS_PASSWORD, stack.adminPassword);
  });
  const byName = (rows: any[], name: string): any => rows.find((r) => r.Name === name);

  it('token issue and flavor list', async () => {
    const token = await openstackJson(env, 'token', 'issue');
    assert.match(token.expires, /^\d{4}-\d\d-\d\dT/);
    assert.ok(token.id && token.project_id && token.user_id);
    const flavors = await openstackJson(env, 'flavor', 'list');
    assert.deepEqual(byName(flavors, 'm1.small'), {
      ...byName(flavors, 'm1.small'),
      RAM: 2048,
      Disk: 20,
      VCPUs: 1,
      'Is Public': true,
    });
  });

  it('image create --file, image list', async () => {
    const file = path.join(stack.dataDir, 'disk.img');
    writeFileSync(file, Buffer.alloc(1024 * 1024, 7));
    const image = await openstackJson(env, 'image', 'create', '--file', file, '--disk-format', 'raw', 'img2');
    assert.equal(image.status, 'active');
    assert.equal(image.size, 1024 * 1024);
    const images = await openstackJson(env, 'image', 'list');
    assert.deepEqual(images.map((i: any) => i.Name).sort(), ['cirros', 'img2']);
    const bytes = await stack.api('GET', `/image/v2/images/${image.id}/file`);
    assert.equal(bytes.status, 200);
    assert.equal(Number(bytes.headers.get('content-length')), 1024 * 1024);
    const byIds = await stack.api('GET', `/image/v2/images?id=in:${image.id},${images[0].ID}`);
    assert.equal(byIds.body.images.length, 2);
    // image set: Glance's JSON patch (a property added, the container format replaced).
    await openstackOk(env, 'image', 'set', '--property', 'nimbus.role=test', '--container-format', 'bare', 'img2');
    const shown = await openstackJson(env, 'image', 'show', 'img2');
    assert.equal(shown.properties['nimbus.role'], 'test', JSON.stringify(shown));
    assert.equal(shown.container_format, 'bare');
  });

  it('network create, subnet create', async () => {
    const net = await openstackJson(env, 'network', 'create', 'net2');
    assert.equal(net.status, 'ACTIVE');
    const subnet = await openstackJson(
      env,
      ...['subnet', 'create', '--network', 'net2', '--subnet-range', '10.1.0.0/24', 'sub2'],
    );
    assert.equal(subnet.cidr, '10.1.0.0/24');
    assert.equal(subnet.network_id, net.id);
    assert.equal(subnet.name, 'sub2');
  });

  it('server create --wait, list, show; volume create and list; events, stop, start; services, hypervisors, ports; delete --wait', async () => {
    const server = await openstackJson(
      env,
      ...['server', 'create', '--flavor', 'm1.small', '--image', 'cirros', '--network', 'default', '--wait', 'web-1'],
    );
    assert.equal(server.status, 'ACTIVE');
    assert.match(JSON.stringify(server.addresses), /10\.0\.0\.\d+/);
    const list = await openstackJson(env, 'server', 'list');
    assert.equal(byName(list, 'web-1')?.Status, 'ACTIVE');
    assert.equal(byName(list, 'web-1')?.Flavor, 'm1.small');
    const shown = await openstackJson(env, 'server', 'show', 'web-1');
    assert.equal(shown.id, server.id);
    assert.equal(shown['OS-EXT-STS:vm_state'], 'active');
    // Nova's os-getConsoleOutput: the guest's console, read on its host (the fake guest's two lines).
    const consoleLog = await openstackOk(env, 'console', 'log', 'show', 'web-1');
    assert.match(consoleLog, new RegExp(`NIMBUS-GUEST-READY instance=${server.id}`));
    const lastLine = await openstackOk(env, 'console', 'log', 'show', '--lines', '1', 'web-1');
    assert.equal(lastLine.trim(), `NIMBUS-GUEST-READY instance=${server.id}`);

    const volume = await openstackJson(env, 'volume', 'create', '--size', '1', 'v1');
    assert.equal(volume.size, 1);
    await openstackOk(env, 'server', 'add', 'volume', 'web-1', 'v1');
    // The attach is a workflow (202): the volume is in-use once the host attached it.
    await stack.waitFor(async () => (await stack.api('GET', `/v1/volumes/${volume.id}`)).body.status === 'in-use');
    const volumes = await openstackJson(env, 'volume', 'list');
    const [attachment] = byName(volumes, 'v1')['Attached to'];
    assert.equal(attachment.server_id, server.id);
    assert.match(attachment.device, /^\/dev\/vd[b-z]$/);

    await openstackOk(env, 'server', 'stop', 'web-1');
    const status = async () => (await stack.api('GET', `/v1/instances/${server.id}`)).body;
    await stack.waitFor(async () => (await status()).status === 'SHUTOFF' && (await status()).taskState === null);
    await openstackOk(env, 'server', 'start', 'web-1');
    await stack.waitFor(async () => (await status()).status === 'ACTIVE' && (await status()).taskState === null);
    const events = await openstackJson(env, 'server', 'event', 'list', 'web-1');
    assert.deepEqual(events.map((e: any) => e.Action).sort(), ['attach_volume', 'create', 'start', 'stop']);

    const services = await openstackJson(env, 'compute', 'service', 'list');
    assert.deepEqual(
      services.filter((s: any) => s.State === 'up').map((s: any) => [s.Binary, s.Host]),
      [
        ['nova-compute', 'node-1'],
        ['nova-compute', 'node-2'],
      ],
    );
    const hypervisors = await openstackJson(env, 'hypervisor', 'list');
    assert.ok(hypervisors.some((h: any) => h['Hypervisor Hostname'] === server['OS-EXT-SRV-ATTR:host']));
    const ports = await openstackJson(env, 'port', 'list');
    assert.ok(ports.some((p: any) => JSON.stringify(p['Fixed IP Addresses']).includes(server.addresses.default[0])));

    await openstackOk(env, 'server', 'delete', '--wait', 'web-1');
    assert.equal((await status()).status, 'DELETED');
    // A volume attached after the build outlives its server.
    await stack.waitFor(async () => (await stack.api('GET', `/v1/volumes/${volume.id}`)).body.status === 'available');
    assert.deepEqual(await openstackJson(env, 'server', 'list'), []);
  });

  it('a build that fails: server create --wait exits 1 and the server shows the fault', async () => {
    for (const host of ['node-1', 'node-2']) {
      const armed = await stack.api('PUT', `/v1/admin/hosts/${host}/faults`, {
        step: 'spawn',
        mode: 'error',
        times: 3,
      });
      assert.equal(armed.status, 200, JSON.stringify(armed.body));
    }
    try {
      const create = ['server', 'create', '--flavor', 'm1.tiny', '--image', 'cirros', '--network', 'default'];
      const r = await openstack(env, ...create, '--wait', 'bad-1');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /Error creating server: bad-1/);
      const shown = await openstackJson(env, 'server', 'show', 'bad-1');
      assert.equal(shown.status, 'ERROR');
      assert.match(shown.fault.message, /NoValidHost/);
      assert.equal(shown.fault.code, 500);
    } finally {
      for (const host of ['node-1', 'node-2']) await stack.api('DELETE', `/v1/admin/hosts/${host}/faults`);
    }
  });

  describe('identity: logins, tenants, expiry and revocation', () => {
    const keystone = (method: string, p: string, body?: unknown, token?: string) =>
      stack.api(method, `/identity/v3${p}`, body, { token: null, headers: token ? { 'X-Auth-Token': token } : {} });
    const login = async (name: string, password: string, project: string) => {
      const r = await keystone('POST', '/auth/tokens', {
        auth: {
          identity: { methods: ['password'], password: { user: { name, domain: { name: 'Default' }, password } } },
          scope: { project: { name: project, domain: { name: 'Default' } } },
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.headers.get('x-subject-token')!;
    };

    it('password, token and application-credential logins through the CLI', async () => {
      const token = (await openstackJson(env, 'token', 'issue')).id;
      const byToken = {
        OS_AUTH_URL: env.OS_AUTH_URL,
        OS_AUTH_TYPE: 'v3token',
        OS_TOKEN: token,
        OS_PROJECT_NAME: 'admin',
        OS_PROJECT_DOMAIN_NAME: 'Default',
      };
      assert.equal(
        (await openstackJson(byToken, 'token', 'issue')).project_id,
        (await openstackJson(env, 'token', 'issue')).project_id,
      );
      const cred = await openstackJson(env, 'application', 'credential', 'create', 'ci');
      const byCred = {
        OS_AUTH_URL: env.OS_AUTH_URL,
        OS_AUTH_TYPE: 'v3applicationcredential',
        OS_APPLICATION_CREDENTIAL_ID: cred.ID,
        OS_APPLICATION_CREDENTIAL_SECRET: cred.Secret,
      };
      assert.ok((await openstackJson(byCred, 'flavor', 'list')).length >= 5);
      const wrong = await openstack({ ...env, OS_PASSWORD: 'not-the-password' }, 'token', 'issue');
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /401/);
    });

    it("a member of project A gets 404 for project B's server and private image; a reader only reads", async () => {
      const admin = await login('admin', stack.adminPassword, 'admin');
      const ids: Record<string, string> = {};
      for (const name of ['proj-a', 'proj-b']) {
        const p = await keystone('POST', '/projects', { project: { name, domain_id: 'default' } }, admin);
        assert.equal(p.status, 201, JSON.stringify(p.body));
        const u = await keystone('POST', '/users', { user: { name: `user-${name}`, password: `pw-${name}` } }, admin);
        assert.equal(u.status, 201);
        const role = await keystone(
          'PUT',
          `/projects/${p.body.project.id}/users/${u.body.user.id}/roles/member`,
          undefined,
          admin,
        );
        assert.equal(role.status, 204);
        ids[name] = p.body.project.id;
      }
      const a = await login('user-proj-a', 'pw-proj-a', 'proj-a');
      const b = await login('user-proj-b', 'pw-proj-b', 'proj-b');
      const nova = (method: string, p: string, token: string, body?: unknown) =>
        stack.api(method, `/compute/v2.1${p}`, body, { token: null, headers: { 'X-Auth-Token': token } });
      const flavor = (await nova('GET', '/flavors', b)).body.flavors.find((f: any) => f.name === 'm1.tiny').id;
      const created = await nova('POST', '/servers', b, {
        server: { name: 'b-1', flavorRef: flavor, imageRef: 'cirros', networks: [{ uuid: 'default' }] },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const id = created.body.server.id;
      assert.equal((await nova('GET', `/servers/${id}`, b)).status, 200);
      const peek = await nova('GET', `/servers/${id}`, a);
      assert.equal(peek.status, 404);
      assert.equal(peek.body.itemNotFound.code, 404);
      assert.deepEqual((await nova('GET', '/servers', a)).body.servers, []);
      assert.equal((await nova('DELETE', `/servers/${id}`, a)).status, 404);
      assert.equal((await nova('DELETE', `/servers/${id}`, b)).status, 204);

      const glance = (method: string, p: string, token: string, body?: unknown) =>
        stack.api(method, `/image/v2${p}`, body, { token: null, headers: { 'X-Auth-Token': token } });
      const image = await glance('POST', '/images', b, { name: 'b-only', visibility: 'private', disk_format: 'raw' });
      assert.equal(image.status, 201, JSON.stringify(image.body));
      assert.equal((await glance('GET', `/images/${image.body.id}`, a)).status, 404);
      const seen = (await glance('GET', '/images', a)).body.images.map((i: any) => i.name);
      assert.ok(seen.includes('cirros') && !seen.includes('b-only'), seen.join());
      assert.equal((await glance('POST', '/images', a, { name: 'mine', visibility: 'public' })).status, 403);

      // Shared with A: visible to A by id at once, listed once A accepts, gone when B removes A.
      const shared = await glance('POST', '/images', b, { name: 'b-shared', visibility: 'shared' });
      const sid = shared.body.id as string;
      assert.equal((await glance('GET', `/images/${sid}`, a)).status, 404);
      const member = await glance('POST', `/images/${sid}/members`, b, { member: ids['proj-a'] });
      assert.equal(member.status, 200, JSON.stringify(member.body));
      assert.equal(member.body.status, 'pending');
      assert.equal((await glance('GET', `/images/${sid}`, a)).status, 200);
      const listedByA = async () => (await glance('GET', '/images', a)).body.images.map((i: any) => i.id);
      assert.ok(!(await listedByA()).includes(sid), 'pending: not listed');
      assert.equal((await glance('POST', `/images/${sid}/members`, a, { member: ids['proj-a'] })).status, 403);
      const accepted = await glance('PUT', `/images/${sid}/members/${ids['proj-a']}`, a, { status: 'accepted' });
      assert.equal(accepted.body.status, 'accepted', JSON.stringify(accepted.body));
      assert.ok((await listedByA()).includes(sid), 'accepted: listed');
      assert.equal((await glance('DELETE', `/images/${sid}`, a)).status, 403, 'a member does not delete');
      assert.equal((await glance('DELETE', `/images/${sid}/members/${ids['proj-a']}`, b)).status, 204);
      assert.equal((await glance('GET', `/images/${sid}`, a)).status, 404);
      const privateOne = await glance('POST', `/images/${image.body.id}/members`, b, { member: ids['proj-a'] });
      assert.equal(privateOne.status, 403, 'only shared images have members');

      const reader = await keystone('POST', '/users', { user: { name: 'reader-a', password: 'pw-reader' } }, admin);
      const path = `/projects/${ids['proj-a']}/users/${reader.body.user.id}/roles/reader`;
      assert.equal((await keystone('PUT', path, undefined, admin)).status, 204);
      const r = await login('reader-a', 'pw-reader', 'proj-a');
      assert.equal((await nova('GET', '/servers/detail', r)).status, 200);
      const refused = await nova('POST', '/servers', r, {
        server: { name: 'r-1', flavorRef: flavor, imageRef: 'cirros' },
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.forbidden.code, 403);
    });

    it('an expired or revoked token gets 401', async () => {
      const revoked = await login('admin', stack.adminPassword, 'admin');
      assert.equal((await keystone('GET', '/auth/tokens', undefined, revoked)).status, 404, 'no X-Subject-Token');
      const check = await stack.api('GET', '/identity/v3/auth/tokens', undefined, {
        token: null,
        headers: { 'X-Auth-Token': revoked, 'X-Subject-Token': revoked },
      });
      assert.equal(check.status, 200);
      assert.ok(check.body.token.expires_at);
      const revoke = await stack.api('DELETE', '/identity/v3/auth/tokens', undefined, {
        token: null,
        headers: { 'X-Auth-Token': revoked, 'X-Subject-Token': revoked },
      });
      assert.equal(revoke.status, 204);
      const after = await stack.api('GET', '/compute/v2.1/servers', undefined, {
        token: null,
        headers: { 'X-Auth-Token': revoked },
      });
      assert.equal(after.status, 401);
      assert.equal(after.body.unauthorized.code, 401);

      const expired = await login('admin', stack.adminPassword, 'admin');
      await db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE token_sha256 = $1`, [
        sha256Hex(expired),
      ]);
      const late = await stack.api('GET', '/image/v2/images', undefined, {
        token: null,
        headers: { 'X-Auth-Token': expired },
      });
      assert.equal(late.status, 401);
      const relogin = await keystone('POST', '/auth/tokens', {
        auth: { identity: { methods: ['token'], token: { id: expired } } },
      });
      assert.equal(relogin.status, 401);
      assert.equal(relogin.body.error.code, 401);
    });
  });
});
