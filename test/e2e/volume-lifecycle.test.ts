/**
 * Volumes end to end on the real stack: standalone volumes through /v1/volumes (scoped to
 * their project, CHAP credentials for admins only, idempotent, refused while in use), a
 * build's own volume (in-use with its iSCSI target, deleted with the instance), a user's
 * standalone volume attached to a build (kept, and given back when the build fails), and a
 * volume no pool can hold (the build aborts and releases everything).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { nodeDir } from '../../core/config.js';
import { createProject } from '../support/projects.js';
import { useStack } from '../support/use-stack.js';

const HOSTS = ['node-1', 'node-2', 'node-3'];

describe('volumes through the API', () => {
  const { stack } = useStack({ env: { NIMBUS_HYPERVISOR_DELAY_MS: '0' } });
  let alpha: { projectId: string; token: string };
  let beta: { projectId: string; token: string };

  before(async () => {
    alpha = await createProject(stack, 'alpha');
    beta = await createProject(stack, 'beta');
  });

  const as = (who: { token: string } | null) => ({ token: who ? who.token : undefined });

  async function createVolume(who: { token: string }, body: unknown, headers?: Record<string, string>) {
    return stack.api('POST', '/v1/volumes', body, { token: who.token, headers });
  }

  /** Polls the instance until it leaves BUILD (or reaches `status`). */
  async function settle(id: string, who: { token: string } | null, status?: string): Promise<any> {
    return stack.waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/instances/${id}`, undefined, as(who));
        if (status) return body.status === status ? body : null;
        return body.status !== 'BUILD' ? body : null;
      },
      60_000,
      `instance ${id} ${status ?? 'settled'}`,
    );
  }

  async function build(who: { token: string } | null, volume: unknown, name = 'vm'): Promise<string> {
    const res = await stack.api(
      'POST',
      '/v1/instances',
      { name, flavor: 'm1.tiny', image: 'cirros', network: 'default', volume },
      as(who),
    );
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  }

  async function deleteInstance(id: string, who: { token: string } | null): Promise<any> {
    assert.equal((await stack.api('DELETE', `/v1/instances/${id}`, undefined, as(who))).status, 202);
    return settle(id, who, 'DELETED');
  }

  async function hostsAreEmpty(): Promise<void> {
    const hosts = (await stack.api('GET', '/v1/hosts')).body.filter((h: any) => HOSTS.includes(h.name));
    assert.deepEqual(
      hosts.map((h: any) => [h.name, h.vcpusUsed, h.ramMbUsed, h.diskGbUsed]),
      HOSTS.map((h) => [h, 0, 0, 0]),
    );
  }

  it('creates standalone volumes, shows each project only its own and CHAP only to admins, and deletes them', async () => {
    const created = await createVolume(alpha, { name: 'data-a', sizeGb: 2 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const v = created.body;
    assert.equal(created.headers.get('location'), `/v1/volumes/${v.id}`);
    assert.deepEqual(
      [v.name, v.projectId, v.sizeGb, v.status, v.deleteOnTermination, v.instanceId, v.device],
      ['data-a', alpha.projectId, 2, 'available', false, null, null],
    );
    assert.deepEqual(v.connection, {
      targetIqn: `iqn.2010-10.org.nimbus:volume-${v.id}`,
      targetPortal: stack.config.iscsiPortal,
      targetLun: 0,
    });
    assert.equal(v.chap, undefined, 'the owner does not see the CHAP secret');
    assert.equal(v.pool, undefined);

    const adminView = (await stack.api('GET', `/v1/volumes/${v.id}`)).body;
    assert.match(adminView.chap.username, /^nimbus-/);
    assert.match(adminView.chap.secret, /^[\w-]{12,}$/);
    assert.equal(adminView.pool, 'default');
    assert.deepEqual(
      (await stack.api('GET', `/v1/volumes?project=${alpha.projectId}`)).body.map((x: any) => x.id),
      [v.id],
    );

    // Another project sees nothing of it: not in its list, not found by id, not deletable.
    assert.equal((await stack.api('GET', `/v1/volumes/${v.id}`, undefined, as(beta))).status, 404);
    assert.deepEqual((await stack.api('GET', '/v1/volumes', undefined, as(beta))).body, []);
    assert.equal((await stack.api('DELETE', `/v1/volumes/${v.id}`, undefined, as(beta))).status, 404);
    const mine = (await stack.api('GET', '/v1/volumes', undefined, as(alpha))).body;
    assert.deepEqual(
      mine.map((x: any) => x.id),
      [v.id],
    );
    assert.ok(mine.every((x: any) => x.chap === undefined));

    // An Idempotency-Key makes a repeat return the same volume; another body is a conflict.
    const k1 = await createVolume(alpha, { sizeGb: 1 }, { 'idempotency-key': 'vol-k1' });
    const again = await createVolume(alpha, { sizeGb: 1 }, { 'idempotency-key': 'vol-k1' });
    assert.equal(again.body.id, k1.body.id);
    const changed = await createVolume(alpha, { sizeGb: 3 }, { 'idempotency-key': 'vol-k1' });
    assert.equal(changed.status, 409);
    assert.equal(changed.body.type, 'urn:nimbus:problem:idempotency-key-reused');
    const theirs = await createVolume(beta, { sizeGb: 1 }, { 'idempotency-key': 'vol-k1' });
    assert.notEqual(theirs.body.id, k1.body.id, 'keys are per project');

    const bad: Array<[string, unknown, number, string]> = [
      ['zero size', { sizeGb: 0 }, 400, 'validation-failed'],
      ['absurd size', { sizeGb: 20_000 }, 400, 'validation-failed'],
      ['size not a number', { sizeGb: 'big' }, 400, 'validation-failed'],
      ['unknown field', { sizeGb: 1, bootable: true }, 400, 'validation-failed'],
      ['no pool has room', { sizeGb: 16_000 }, 409, 'storage-pool-exhausted'],
    ];
    const before = (await stack.api('GET', '/v1/volumes')).body.length;
    for (const [what, body, status, type] of bad) {
      const res = await createVolume(alpha, body);
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.type, `urn:nimbus:problem:${type}`, what);
    }
    assert.equal((await stack.api('GET', '/v1/volumes')).body.length, before, 'nothing was created');
    assert.equal((await stack.api('GET', '/v1/volumes/not-a-uuid')).status, 400);
    assert.equal((await stack.api('GET', `/v1/volumes/${randomUUID()}`)).status, 404);

    for (const [who, id] of [
      [alpha, v.id],
      [alpha, k1.body.id],
      [beta, theirs.body.id],
    ] as const) {
      assert.equal((await stack.api('DELETE', `/v1/volumes/${id}`, undefined, as(who))).status, 204);
    }
    const gone = (await stack.api('GET', `/v1/volumes/${v.id}`, undefined, as(alpha))).body;
    assert.deepEqual([gone.status, gone.connection], ['deleted', null]);
    assert.equal(
      (await stack.api('DELETE', `/v1/volumes/${v.id}`, undefined, as(alpha))).status,
      204,
      'deleting again is harmless',
    );
    assert.deepEqual((await stack.api('GET', '/v1/volumes', undefined, as(alpha))).body, []);
  });

  it('builds an instance with a new volume in use with its iSCSI target; deleting the instance frees its IP, port and volume', async () => {
    const id = await build(null, { sizeGb: 1 });
    const active = await settle(id, null);
    assert.equal(active.status, 'ACTIVE', JSON.stringify(active.fault));
    const [vol] = active.volumes;
    assert.deepEqual([vol.sizeGb, vol.status, vol.device, vol.deleteOnTermination], [1, 'in-use', 'vdb', true]);
    assert.deepEqual(vol.connection, {
      targetIqn: `iqn.2010-10.org.nimbus:volume-${vol.id}`,
      targetPortal: stack.config.iscsiPortal,
      targetLun: 0,
    });
    const listed = (await stack.api('GET', `/v1/volumes?instance=${id}`)).body;
    assert.deepEqual(
      listed.map((x: any) => [x.id, x.status, x.instanceId, x.host, x.device]),
      [[vol.id, 'in-use', id, active.host, 'vdb']],
    );
    // The host's hypervisor has the volume on vdb, connected to the target the API shows.
    const domain = JSON.parse(
      await readFile(path.join(nodeDir(stack.config, active.host), 'domains', `${id}.json`), 'utf8'),
    );
    assert.deepEqual(domain.volumes, [{ volumeId: vol.id, connection: vol.connection, device: 'vdb' }]);

    const inUse = await stack.api('DELETE', `/v1/volumes/${vol.id}`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.type, 'urn:nimbus:problem:volume-in-use');

    const ip = active.addresses[0].ip;
    const gone = await deleteInstance(id, null);
    assert.deepEqual([gone.addresses, gone.volumes], [[], []]);
    assert.deepEqual((await stack.api('GET', `/v1/ports?instance=${id}`)).body, []);
    assert.ok(
      !(await stack.api('GET', '/v1/ports?network=default')).body.some((p: any) => p.ip === ip),
      `${ip} is free again`,
    );
    const volume = (await stack.api('GET', `/v1/volumes/${vol.id}`)).body;
    assert.deepEqual([volume.status, volume.instanceId, volume.connection, volume.chap], ['deleted', null, null, null]);
    await hostsAreEmpty();
  });

  it('attaches a standalone volume to a build and keeps it when the instance is deleted', async () => {
    const volumeId = (await createVolume(alpha, { name: 'keep-me', sizeGb: 3 })).body.id;

    // Bad requests for an existing volume create nothing.
    const refused: Array<[string, { token: string }, unknown, number, string]> = [
      ['size and id', alpha, { sizeGb: 1, id: volumeId }, 400, 'volume.id'],
      ['neither', alpha, {}, 400, 'volume.sizeGb'],
      ['id not a UUID', alpha, { id: 'vol-1' }, 400, 'volume.id'],
      ['unknown volume', alpha, { id: randomUUID() }, 422, 'volume.id'],
      ["another project's volume", beta, { id: volumeId }, 422, 'volume.id'],
    ];
    for (const [what, who, volume, status, field] of refused) {
      const res = await stack.api(
        'POST',
        '/v1/instances',
        { name: 'x', flavor: 'm1.tiny', image: 'cirros', network: 'default', volume },
        as(who),
      );
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      assert.ok(
        res.body.errors.some((e: any) => e.field === field),
        `${what} names ${field}: ${JSON.stringify(res.body)}`,
      );
    }

    for (const round of [1, 2]) {
      const id = await build(alpha, { id: volumeId }, `keeper-${round}`);
      const active = await settle(id, alpha);
      assert.equal(active.status, 'ACTIVE', JSON.stringify(active.fault));
      assert.deepEqual(
        active.volumes.map((v: any) => [
          v.id,
          v.sizeGb,
          v.status,
          v.device,
          v.deleteOnTermination,
          v.connection?.targetLun,
        ]),
        [[volumeId, 3, 'in-use', 'vdb', false, 0]],
      );
      if (round === 1) {
        const inUse = await stack.api('DELETE', `/v1/volumes/${volumeId}`, undefined, as(alpha));
        assert.equal(inUse.status, 409);
        assert.equal(inUse.body.type, 'urn:nimbus:problem:volume-in-use');
        const taken = await stack.api(
          'POST',
          '/v1/instances',
          { name: 'y', flavor: 'm1.tiny', image: 'cirros', network: 'default', volume: { id: volumeId } },
          as(alpha),
        );
        assert.equal(taken.status, 422);
        assert.match(taken.body.detail, /is in-use, not available/);
      }
      await deleteInstance(id, alpha);
      const kept = (await stack.api('GET', `/v1/volumes/${volumeId}`, undefined, as(alpha))).body;
      assert.deepEqual(
        [kept.status, kept.instanceId, kept.device, kept.name],
        ['available', null, null, 'keep-me'],
        `round ${round}: the volume survives its instance`,
      );
      assert.ok(kept.connection, 'still exported');
    }
    assert.equal((await stack.api('DELETE', `/v1/volumes/${volumeId}`, undefined, as(alpha))).status, 204);
    await hostsAreEmpty();
  });

  it('gives a standalone volume back, not deleted, when its attach fails and the build is rolled back', async () => {
    const volumeId = (await createVolume(alpha, { sizeGb: 1 })).body.id;
    // Every attempt on every host fails (the step is retried three times).
    for (const host of HOSTS) {
      assert.equal(
        (await stack.api('PUT', `/v1/admin/hosts/${host}/faults`, { step: 'attach_volume', mode: 'error', times: 3 }))
          .status,
        200,
      );
    }
    try {
      const id = await build(alpha, { id: volumeId });
      const failed = await settle(id, alpha);
      assert.equal(failed.status, 'ERROR');
      assert.equal(failed.fault.step, 'attach_volume');
      assert.deepEqual([failed.addresses, failed.volumes], [[], []]);
      const back = (await stack.api('GET', `/v1/volumes/${volumeId}`, undefined, as(alpha))).body;
      assert.deepEqual([back.status, back.instanceId], ['available', null]);
      assert.deepEqual((await stack.api('GET', `/v1/ports?instance=${id}`)).body, []);
    } finally {
      for (const host of HOSTS) await stack.api('DELETE', `/v1/admin/hosts/${host}/faults`);
    }
    await hostsAreEmpty();
    assert.equal((await stack.api('DELETE', `/v1/volumes/${volumeId}`, undefined, as(alpha))).status, 204);
  });

  it('aborts a build whose volume no pool can hold with StoragePoolExhausted, releasing everything', async () => {
    const before = (await stack.api('GET', '/v1/volumes')).body.length;
    const id = await build(null, { sizeGb: 16_000 });
    const failed = await settle(id, null);
    assert.equal(failed.status, 'ERROR');
    assert.deepEqual(
      { code: failed.fault.code, step: failed.fault.step },
      { code: 'StoragePoolExhausted', step: 'create_volume' },
    );
    assert.match(failed.fault.message, /no storage pool has 16000 GB free/);
    assert.deepEqual([failed.addresses, failed.volumes], [[], []]);
    assert.deepEqual((await stack.api('GET', `/v1/ports?instance=${id}`)).body, []);
    assert.equal((await stack.api('GET', '/v1/volumes')).body.length, before, 'no volume was left behind');
    await hostsAreEmpty();
  });
});
