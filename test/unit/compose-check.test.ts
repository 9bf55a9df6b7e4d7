import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  COMPOSE_SCHEMA_FILE,
  checkCompose,
  environment,
  interpolations,
  parseCompose,
  schemaProblems,
} from '../support/compose-check.js';
import { fresh, options, services } from '../support/compose-file.js';

function assertReported(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got:\n  ${problems.join('\n  ') || '(none)'}`,
  );
}

describe('compose check', () => {
  it('uses the vendored Compose specification schema', () => {
    const schema = JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    assert.equal(schema.title, 'Compose Specification');
    assert.deepEqual(schemaProblems({ services: { web: { image: 'nginx:1' } } }), []);
  });

  it('reports an invalid top-level key', () => {
    const doc = fresh();
    doc.servcies = {};
    assertReported(checkCompose(doc, options), /schema: \/ must NOT have additional properties \(servcies\)/);
  });

  it('reports an invalid service key and a bad depends_on condition', () => {
    const doc = fresh();
    services(doc).api.restart_policy = 'always';
    services(doc).controller.depends_on = { api: { condition: 'service_ready' } };
    const problems = checkCompose(doc, options);
    assertReported(problems, /schema: \/services\/api .*\(restart_policy\)/);
    assertReported(problems, /schema: \/services\/controller\/depends_on/);
  });

  it('reports a depends_on naming a missing service', () => {
    const doc = fresh();
    services(doc).api.depends_on = { postgress: { condition: 'service_healthy' } };
    assertReported(checkCompose(doc, options), /services\.api\.depends_on: no service named "postgress"/);
  });

  it('reports waiting for health of a service without a healthcheck', () => {
    const doc = fresh();
    delete services(doc).temporal.healthcheck;
    assertReported(checkCompose(doc, options), /temporal-namespace\.depends_on\.temporal: .*no healthcheck/);
  });

  it('reports waiting for completion of a service that never completes', () => {
    const doc = fresh();
    services(doc)['temporal-schema'].restart = 'unless-stopped';
    assertReported(checkCompose(doc, options), /depends_on\.temporal-schema: waits for completion/);
  });

  it('reports a depends_on cycle', () => {
    const doc = fresh();
    services(doc).postgres.depends_on = { api: { condition: 'service_healthy' } };
    assertReported(checkCompose(doc, options), /depends_on cycle: .*postgres/);
  });

  it('reports an undeclared named volume, but not a bind path', () => {
    const doc = fresh();
    services(doc)['compute-node-2'].volumes = ['node-9-data:/var/lib/nimbus', './temporal:/x:ro'];
    const problems = checkCompose(doc, options);
    assertReported(problems, /compute-node-2\.volumes: named volume "node-9-data" is not declared/);
    assert.ok(!problems.some((p) => p.includes('./temporal')), problems.join('\n'));
  });

  it('reports a missing bind-mount source and an undeclared network', () => {
    const doc = fresh();
    services(doc).temporal.volumes = ['./no-such-dir:/etc/nimbus:ro'];
    services(doc).api.networks = ['backend'];
    const problems = checkCompose(doc, options);
    assertReported(problems, /temporal\.volumes: bind source "\.\/no-such-dir" does not exist/);
    assertReported(problems, /api\.networks: network "backend" is not declared/);
  });

  it('reports a missing Dockerfile and a missing build context', () => {
    const doc = fresh();
    services(doc).api.build = { context: '..', dockerfile: 'docker/Dockerfile.missing' };
    services(doc).controller.build = { context: '../no-such-dir' };
    const problems = checkCompose(doc, options);
    assertReported(problems, /api\.build: dockerfile "docker\/Dockerfile\.missing" does not exist/);
    assertReported(problems, /controller\.build: context "\.\.\/no-such-dir" does not exist/);
  });

  it('reports an env variable no Nimbus process reads', () => {
    const doc = fresh();
    (services(doc).api.environment as Record<string, string>).NIMBUS_API_PROT = '3000';
    assertReported(checkCompose(doc, options), /api\.environment\.NIMBUS_API_PROT: no Nimbus process reads/);
  });

  it('reports an app missing a variable it needs', () => {
    const doc = fresh();
    const env = services(doc)['compute-node-1'].environment as Record<string, string>;
    delete env.NIMBUS_HOST;
    delete env.NIMBUS_API_URL;
    const problems = checkCompose(doc, options);
    assertReported(problems, /compute-node-1\.environment: compute-agent needs NIMBUS_HOST/);
    assertReported(problems, /compute-node-1\.environment: compute-agent needs NIMBUS_API_URL/);
  });

  it('reports a compute agent given the admin token instead of its service credential', () => {
    const doc = fresh();
    const env = services(doc)['compute-node-2'].environment as Record<string, string>;
    env.NIMBUS_ADMIN_TOKEN = '${NIMBUS_ADMIN_TOKEN:?x}';
    delete env.NIMBUS_AGENT_TOKEN;
    const problems = checkCompose(doc, options);
    assertReported(problems, /compute-node-2\.environment\.NIMBUS_ADMIN_TOKEN: compute-agent must not hold/);
    assertReported(problems, /compute-node-2\.environment: compute-agent needs NIMBUS_AGENT_TOKEN/);
  });

  it('reports a compute agent or network node given the database (hosts never reach it)', () => {
    const doc = fresh();
    const url = 'postgres://nimbus:${POSTGRES_PASSWORD:?x}@postgres:5432/nimbus';
    (services(doc)['compute-node-1'].environment as Record<string, string>).DATABASE_URL = url;
    (services(doc)['network-node'].environment as Record<string, string>).DATABASE_URL = url;
    const problems = checkCompose(doc, options);
    assertReported(problems, /compute-node-1\.environment\.DATABASE_URL: compute-agent must not hold/);
    assertReported(problems, /network-node\.environment\.DATABASE_URL: network-node must not hold/);
  });

  it('reports two agents claiming one host or one node cache', () => {
    const doc = fresh();
    (services(doc)['compute-node-3'].environment as Record<string, string>).NIMBUS_HOST = 'node-1';
    services(doc)['compute-node-2'].volumes = ['node-1-data:/var/lib/nimbus'];
    const problems = checkCompose(doc, options);
    assertReported(problems, /compute-node-3: NIMBUS_HOST "node-1" is already used by compute-node-1/);
    assertReported(problems, /node cache volume "node-1-data" is shared/);
  });

  it('reports an interpolation with neither default nor required marker', () => {
    const doc = fresh();
    (services(doc).api.environment as Record<string, string>).NIMBUS_ADMIN_TOKEN = '${NIMBUS_ADMIN_TOKEN}';
    (services(doc).controller.environment as Record<string, string>).NIMBUS_LOG_LEVEL = '$LOG_LEVEL';
    const problems = checkCompose(doc, options);
    assertReported(problems, /services\.api\.environment\.NIMBUS_ADMIN_TOKEN: \$\{NIMBUS_ADMIN_TOKEN\} has neither/);
    assertReported(problems, /services\.controller\.environment\.NIMBUS_LOG_LEVEL: \$\{LOG_LEVEL\} has neither/);
  });

  it('reads interpolation the way Compose does', () => {
    const found = interpolations({ a: 'x $$HOME ${A:-${B}} ${C:?needed} ${D-} $E ${F:+y}' });
    assert.deepEqual(
      found.map((i) => `${i.name}${i.operator}`),
      ['A:-', 'B', 'C:?', 'D-', 'E', 'F:+'],
    );
  });

  it('resolves YAML merge keys before checking', () => {
    const doc = parseCompose(`
x-env: &env {DATABASE_URL: "postgres://x"}
services:
  c:
    image: nimbus:local
    command: node dist/apps/controller/main.js
    environment: {<<: *env, TEMPORAL_ADDRESS: "t:7233"}
`);
    assert.deepEqual(
      environment(services(doc).c),
      new Map([
        ['DATABASE_URL', 'postgres://x'],
        ['TEMPORAL_ADDRESS', 't:7233'],
      ]),
    );
    assertReported(checkCompose(doc, options), /c\.environment: controller needs NIMBUS_ADMIN_TOKEN/);
  });
});
