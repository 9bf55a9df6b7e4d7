/**
 * The foundation, end to end through the REST API on the real stack (embedded PostgreSQL,
 * Temporal dev server, API, controller, three compute agents): a build with a volume goes
 * BUILD → ACTIVE with host, IP, MAC and volume, is findable in Temporal by its search
 * attribute, and is deleted with everything released. Bad input creates nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useStack } from '../support/use-stack.js';

describe('instance lifecycle through the API', () => {
  const { stack, client: temporal } = useStack({ env: { NIMBUS_HYPERVISOR_DELAY_MS: '50' }, client: true });

  it('serves health, docs and the seeded catalog', async () => {
    assert.equal((await stack.api('GET', '/healthz', undefined, { token: null })).status, 200);
    const docs = await stack.api('GET', '/docs/openapi.json', undefined, { token: null });
    assert.equal(docs.status, 200);
    assert.ok(docs.body.paths['/v1/instances'], 'OpenAPI documents /v1/instances');
    const flavors = await stack.api('GET', '/v1/flavors');
    assert.deepEqual(
      flavors.body.map((f: any) => [f.name, f.vcpus, f.ramMb, f.diskGb]),
      [
        ['m1.tiny', 1, 512, 1],
        ['m1.small', 1, 2048, 20],
        ['m1.medium', 2, 4096, 40],
        ['m1.large', 4, 8192, 80],
        ['m1.xlarge', 8, 16384, 160],
      ],
    );
    const images = await stack.api('GET', '/v1/images');
    const cirros = images.body.find((i: any) => i.name === 'cirros');
    assert.equal(cirros.status, 'active');
    assert.match(cirros.sha256, /^[0-9a-f]{64}$/);
    assert.ok(cirros.sizeBytes > 1024 * 1024, 'the seed image has real bytes');
    const networks = await stack.api('GET', '/v1/networks');
    assert.deepEqual(
      networks.body.map((n: any) => [n.name, n.cidr, n.segmentation]),
      [['default', '10.0.0.0/24', { type: 'vlan', id: 100 }]],
    );
    const hosts = await stack.api('GET', '/v1/hosts');
    assert.deepEqual(
      hosts.body.map((h: any) => [h.name, h.status, h.vcpus, h.ramMb, h.diskGb]),
      [
        ['node-1', 'up', 8, 16384, 160],
        ['node-2', 'up', 8, 16384, 160],
        ['node-3', 'up', 8, 16384, 160],
      ],
    );
  });

  it('builds an instance with a volume to ACTIVE, then deletes it and releases everything', async () => {
    const created = await stack.api('POST', '/v1/instances', {
      name: 'web-1',
      flavor: 'm1.small',
      image: 'cirros',
      network: 'default',
      volume: { sizeGb: 1 },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.id;
    assert.equal(created.headers.get('location'), `/v1/instances/${id}`);
    assert.equal(created.body.status, 'BUILD');
    assert.equal(created.body.taskState, 'scheduling');

    const seenTaskStates = new Set<string>();
    const active = await stack.waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/instances/${id}`);
        if (body.taskState) seenTaskStates.add(body.taskState);
        assert.notEqual(body.status, 'ERROR', JSON.stringify(body.fault));
        return body.status === 'ACTIVE' ? body : null;
      },
      60_000,
      'ACTIVE',
    );
    assert.ok(seenTaskStates.size >= 1, 'the task state moved while building');
    assert.match(active.host, /^node-[123]$/);
    assert.equal(active.taskState, null);
    assert.equal(active.addresses.length, 1);
    const [addr] = active.addresses;
    assert.equal(addr.network, 'default');
    assert.match(addr.ip, /^10\.0\.0\.(\d+)$/);
    assert.ok(
      !['10.0.0.0', '10.0.0.1', '10.0.0.255'].includes(addr.ip),
      'never the network, gateway or broadcast address',
    );
    assert.match(addr.mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.deepEqual(addr.segmentation, { type: 'vlan', id: 100 });
    assert.equal(active.volumes.length, 1);
    const [vol] = active.volumes;
    assert.equal(vol.sizeGb, 1);
    assert.equal(vol.status, 'in-use');
    assert.equal(vol.device, 'vdb');
    assert.match(vol.connection.targetIqn, /^iqn\.2010-10\.org\.nimbus:volume-/);
    assert.equal(vol.connection.targetLun, 0);
    assert.deepEqual(active.attempts, [{ host: active.host, outcome: 'claimed', reason: null }]);

    // The host's usage holds the claim.
    const host = (await stack.api('GET', '/v1/hosts')).body.find((h: any) => h.name === active.host);
    assert.equal(host.ramMbUsed, 2048);

    // The operator finds the build in Temporal by its search attribute.
    const listed = await stack.waitFor(
      async () => {
        const found = [];
        for await (const wf of temporal.workflow.list({ query: `InstanceId="${id}"` })) found.push(wf);
        return found.length > 0 ? found : null;
      },
      20_000,
      'the workflow in Temporal visibility',
    );
    assert.equal(listed[0].workflowId, `instance-${id}`);
    assert.equal(listed[0].type, 'CreateInstance');
    const progress = await temporal.workflow.getHandle(`instance-${id}`).query('status');
    assert.equal((progress as any).status, 'ACTIVE');

    const deleted = await stack.api('DELETE', `/v1/instances/${id}`);
    assert.equal(deleted.status, 202);
    const gone = await stack.waitFor(
      async () => {
        const { body } = await stack.api('GET', `/v1/instances/${id}`);
        return body.status === 'DELETED' ? body : null;
      },
      60_000,
      'DELETED',
    );
    assert.deepEqual(gone.addresses, []);
    assert.deepEqual(gone.volumes, []);
    assert.deepEqual((await stack.api('GET', `/v1/ports?instance=${id}`)).body, []);
    assert.deepEqual((await stack.api('GET', '/v1/volumes')).body, []);
    const after = (await stack.api('GET', '/v1/hosts')).body.find((h: any) => h.name === active.host);
    assert.equal(after.ramMbUsed, 0);
    const deletes = await stack.waitFor(
      async () => {
        const found = [];
        for await (const wf of temporal.workflow.list({ query: `InstanceId="${id}" AND InstanceStatus="DELETED"` }))
          found.push(wf.workflowId);
        return found.length > 0 ? found : null;
      },
      20_000,
      'the delete workflow with InstanceStatus DELETED',
    );
    assert.deepEqual(deletes, [`delete-instance-${id}`]);
    // The build shows in the metrics an operator scrapes.
    const metrics = (await stack.api('GET', '/metrics', undefined, { token: null })).body as string;
    assert.match(metrics, /^nimbus_builds_started_total [1-9]/m);
    assert.match(metrics, /^nimbus_instances\{status="DELETED"\} 1$/m);
    assert.match(metrics, /^nimbus_step_duration_seconds_count\{step="spawn",outcome="succeeded"\} 1$/m);
    assert.match(metrics, /^nimbus_step_duration_seconds_count\{step="attach_volume",outcome="succeeded"\} 1$/m);
    // Deleting again is harmless.
    assert.equal((await stack.api('DELETE', `/v1/instances/${id}`)).status, 202);
  });

  it('refuses bad input with problem+json and creates nothing', async () => {
    const before = (await stack.api('GET', '/v1/instances')).body.length;
    const cases: Array<[string, unknown, number, string]> = [
      ['unknown flavor', { name: 'x', flavor: 'm9.huge', image: 'cirros', network: 'default' }, 422, 'flavor'],
      ['unknown image', { name: 'x', flavor: 'm1.tiny', image: 'nope', network: 'default' }, 422, 'image'],
      ['unknown network', { name: 'x', flavor: 'm1.tiny', image: 'cirros', network: 'nope' }, 422, 'network'],
      [
        'negative volume',
        { name: 'x', flavor: 'm1.tiny', image: 'cirros', network: 'default', volume: { sizeGb: -1 } },
        400,
        'volume.sizeGb',
      ],
      [
        'absurd volume',
        { name: 'x', flavor: 'm1.tiny', image: 'cirros', network: 'default', volume: { sizeGb: 10_000_000 } },
        400,
        'volume.sizeGb',
      ],
      ['missing name', { flavor: 'm1.tiny', image: 'cirros', network: 'default' }, 400, 'name'],
    ];
    for (const [what, body, status, field] of cases) {
      const res = await stack.api('POST', '/v1/instances', body);
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
      assert.equal(res.body.type, 'urn:nimbus:problem:validation-failed', what);
      assert.ok(
        res.body.errors.some((e: any) => e.field === field),
        `${what} names the field ${field}`,
      );
    }
    const notJson = await stack.api('POST', '/v1/instances', '{"name": "x",', {
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.type, 'urn:nimbus:problem:malformed-json');
    const tooBig = await stack.api('POST', '/v1/instances', { name: 'x'.repeat(200_000) });
    assert.equal(tooBig.status, 413);
    const noToken = await stack.api('POST', '/v1/instances', { name: 'x' }, { token: null });
    assert.equal(noToken.status, 401);
    assert.equal((await stack.api('GET', '/v1/instances')).body.length, before, 'no instance was created');
  });
});
