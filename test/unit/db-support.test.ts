import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useTestDatabase } from '../support/database.js';
import { SEED_FLAVORS, SEED_HOSTS, sha256Hex } from '../../core/db/seeds.js';
import { MIGRATIONS } from '../../core/db/migrations/index.js';

const t = useTestDatabase();

describe('test database', () => {
  it('is migrated and seeded', async () => {
    const flavors: Array<{ name: string }> = await t.db.query(`SELECT name FROM flavors ORDER BY ram_mb`);
    assert.deepEqual(
      flavors.map((f) => f.name),
      SEED_FLAVORS.map((f) => f.name),
    );
    const hosts: Array<{ name: string }> = await t.db.query(`SELECT name FROM hosts ORDER BY name`);
    assert.deepEqual(
      hosts.map((h) => h.name),
      SEED_HOSTS.map((h) => h.name),
    );
    const [net] = await t.db.query(
      `SELECT cidr::text, host(gateway) AS gateway, segmentation_id FROM networks WHERE name = 'default'`,
    );
    assert.deepEqual(net, { cidr: '10.0.0.0/24', gateway: '10.0.0.1', segmentation_id: 100 });
    const [token] = await t.db.query(`SELECT is_admin FROM api_tokens WHERE token_sha256 = $1`, [
      sha256Hex(t.adminToken),
    ]);
    assert.equal(token?.is_admin, true);
  });

  it('runs migrations once: preparing again changes nothing', async () => {
    const { prepareDatabase } = await import('../../core/db/prepare.js');
    await prepareDatabase(t.url, { adminToken: t.adminToken });
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM migrations`);
    assert.equal(n, MIGRATIONS.length, 'each migration ran exactly once');
    const [{ f }] = await t.db.query(`SELECT count(*)::int AS f FROM flavors`);
    assert.equal(f, SEED_FLAVORS.length);
  });

  it('keeps the configured admin and agent tokens the only seeded ones: rotating revokes the old', async () => {
    const { prepareDatabase } = await import('../../core/db/prepare.js');
    const { ApiTokens } = await import('../../core/projects/api-tokens.js');
    const tokens = new ApiTokens(t.db);
    await prepareDatabase(t.url, { adminToken: 'admin-old', agentToken: 'agent-old' });
    assert.equal((await tokens.owner('admin-old'))?.isAdmin, true);
    assert.equal((await tokens.owner('agent-old'))?.scope, 'image:read');
    assert.equal((await tokens.owner('agent-old'))?.isAdmin, false);

    await prepareDatabase(t.url, { adminToken: 'admin-new', agentToken: 'agent-new' });
    assert.equal(await tokens.owner('admin-old'), null, 'the rotated-out admin token is revoked');
    assert.equal(await tokens.owner('agent-old'), null, 'the rotated-out agent token is revoked');
    assert.equal(await tokens.owner(t.adminToken), null, 'and so is the one seeded first');
    assert.equal((await tokens.owner('admin-new'))?.isAdmin, true);

    // The configuration is the truth: a configured token revoked through the API is live again at start.
    await prepareDatabase(t.url, { adminToken: t.adminToken, agentToken: 'agent-new' });
    assert.equal((await tokens.owner(t.adminToken))?.isAdmin, true);
    assert.equal(await tokens.owner('admin-new'), null);
    // A process given no token (a compute agent) revokes nothing.
    await prepareDatabase(t.url);
    assert.equal((await tokens.owner(t.adminToken))?.isAdmin, true);
    assert.equal((await tokens.owner('agent-new'))?.scope, 'image:read');
  });

  it('is on a port of its own, never the machine default', () => {
    assert.match(t.url, /^postgres:\/\/nimbus:nimbus@127\.0\.0\.1:\d+\/nimbus$/);
    assert.doesNotMatch(t.url, /:5432\//);
  });
});
