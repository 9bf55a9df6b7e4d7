import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';
import { TEMPORAL_DYNAMIC_CONFIG } from '../../devstack/temporal-server.js';
import { checkCompose, environment, interpolations, nimbusApp, parseCompose } from '../support/compose-check.js';
import { COMPOSE_FILE, DOCKER_DIR, fresh, options, services } from '../support/compose-file.js';

describe('docker/compose.yaml', () => {
  it('passes the Compose specification schema and every cross-reference check', () => {
    assert.deepEqual(checkCompose(fresh(), options), []);
  });

  it('has the production topology', () => {
    assert.deepEqual(Object.keys(services(fresh())).sort(), [
      'api',
      'compute-node-1',
      'compute-node-2',
      'compute-node-3',
      'controller',
      'network-node',
      'postgres',
      'temporal',
      'temporal-namespace',
      'temporal-schema',
      'temporal-ui',
    ]);
  });

  it('pins every third-party image to a tag', () => {
    for (const [name, svc] of Object.entries(services(fresh()))) {
      if (svc.build !== undefined) continue;
      const image = String(svc.image);
      assert.match(image, /:[\w.-]+$/, `${name} image ${image} has no tag`);
      assert.doesNotMatch(image, /:latest$/, `${name} uses :latest`);
    }
    assert.equal(services(fresh()).temporal.image, 'temporalio/server:1.31.0');
  });

  it('keeps long-running services restarting and waits on health, not just start', () => {
    const svcs = services(fresh());
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'api', 'controller', 'compute-node-1']) {
      assert.equal(svcs[name].restart, 'unless-stopped', name);
    }
    for (const [name, svc] of Object.entries(svcs)) {
      for (const [dep, spec] of Object.entries((svc.depends_on ?? {}) as Record<string, { condition: string }>)) {
        assert.notEqual(spec.condition, 'service_started', `${name} -> ${dep} only waits for start`);
      }
    }
    assert.match(JSON.stringify(svcs.api.healthcheck), /\/healthz/);
    assert.match(JSON.stringify(svcs.postgres.healthcheck), /pg_isready/);
  });

  it('lets the controller scale: no container_name and no fixed host port', () => {
    const { controller } = services(fresh());
    assert.equal(nimbusApp(controller), 'controller');
    assert.equal(controller.container_name, undefined);
    assert.equal(controller.ports, undefined);
  });

  it('runs three compute agents, each with its own host name and node-cache volume', () => {
    const svcs = services(fresh());
    const agents = Object.entries(svcs).filter(([, svc]) => nimbusApp(svc) === 'compute-agent');
    assert.deepEqual(
      agents.map(([n]) => n),
      ['compute-node-1', 'compute-node-2', 'compute-node-3'],
    );
    assert.deepEqual(
      agents.map(([, svc]) => environment(svc).get('NIMBUS_HOST')),
      ['node-1', 'node-2', 'node-3'],
    );
    assert.deepEqual(
      agents.map(([, svc]) => svc.volumes),
      [['node-1-data:/var/lib/nimbus'], ['node-2-data:/var/lib/nimbus'], ['node-3-data:/var/lib/nimbus']],
    );
    for (const [name, svc] of agents) assert.equal(environment(svc).get('NIMBUS_API_URL'), 'http://api:3000', name);
  });

  it('registers exactly the search attributes the workflows use', () => {
    const registered = String(environment(services(fresh())['temporal-namespace']).get('SEARCH_ATTRIBUTES')).split(
      /\s+/,
    );
    assert.deepEqual(
      registered,
      SEARCH_ATTRIBUTES.map((a) => `${a.name}=${a.type}`),
    );
  });

  it("gives the Temporal server the dev server's dynamic configuration, for all namespaces", () => {
    const file = path.join(DOCKER_DIR, 'temporal', 'dynamicconfig.yaml');
    const config = parseYaml(readFileSync(file, 'utf8')) as Record<
      string,
      Array<{ value: unknown; constraints: object }>
    >;
    for (const [key, value] of Object.entries(TEMPORAL_DYNAMIC_CONFIG)) {
      assert.deepEqual(config[key], [{ value, constraints: {} }], key);
    }
  });

  it('takes secrets from the environment, required, never as literals', () => {
    const doc = fresh();
    for (const secret of ['NIMBUS_ADMIN_TOKEN', 'NIMBUS_AGENT_TOKEN', 'POSTGRES_PASSWORD']) {
      const uses = interpolations(doc).filter((i) => i.name === secret);
      assert.ok(uses.length > 0, `${secret} is never used`);
      for (const use of uses) assert.equal(use.operator, ':?', `${use.at} must mark ${secret} required`);
    }
    for (const [name, svc] of Object.entries(services(doc))) {
      for (const [key, value] of environment(svc)) {
        if (/PASSWORD|PWD|TOKEN|SECRET/.test(key)) assert.match(String(value), /\$\{/, `${name}.${key} is a literal`);
      }
    }
  });

  it('documents every interpolated variable in docker/.env.example', () => {
    const example = readFileSync(path.join(DOCKER_DIR, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    for (const { name, at } of interpolations(fresh()))
      assert.ok(documented.has(name), `${name} (${at}) missing from .env.example`);
  });

  it('accepts a fourth compute host added the way docker/README.md says', () => {
    const readme = readFileSync(path.join(DOCKER_DIR, 'README.md'), 'utf8');
    const snippet = /```yaml\n(services:\n[\s\S]*?compute-node-4[\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(snippet, 'README has no compute-node-4 example');
    const [serviceLines, volumeLines] = snippet.replace(/^services:\n/, '').split(/\n\s*\nvolumes:\n/);
    const compose = readFileSync(COMPOSE_FILE, 'utf8');
    const extended = compose.replace(/\nvolumes:\n/, `\n${serviceLines}\n\nvolumes:\n`) + volumeLines;
    const doc = parseCompose(extended);
    assert.deepEqual(checkCompose(doc, options), []);
    assert.equal(environment(services(doc)['compute-node-4']).get('NIMBUS_HOST'), 'node-4');
    assert.equal(nimbusApp(services(doc)['compute-node-4']), 'compute-agent');
  });

  it('mounts the Temporal setup scripts it runs, executable', () => {
    for (const script of ['setup-schema.sh', 'register-namespace.sh']) {
      assert.ok(statSync(path.join(DOCKER_DIR, 'temporal', script)).mode & 0o111, `${script} is not executable`);
    }
    const svcs = services(fresh());
    assert.deepEqual(svcs['temporal-schema'].command, ['/etc/nimbus/setup-schema.sh']);
    assert.deepEqual(svcs['temporal-namespace'].command, ['/etc/nimbus/register-namespace.sh']);
  });
});
