import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../core/config.js';
import { SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';
import {
  COMPOSE_SCHEMA_FILE,
  checkCompose,
  environment,
  interpolations,
  loadComposeFile,
  nimbusApp,
  parseCompose,
  schemaProblems,
  type ComposeDoc,
} from '../support/compose-check.js';

const DOCKER_DIR = path.join(REPO_ROOT, 'docker');
const COMPOSE_FILE = path.join(DOCKER_DIR, 'compose.yaml');
const options = { baseDir: DOCKER_DIR };

type Service = Record<string, unknown>;
const services = (doc: ComposeDoc) => doc.services as Record<string, Service>;
const fresh = (): ComposeDoc => loadComposeFile(COMPOSE_FILE);

function assertReported(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got:\n  ${problems.join('\n  ') || '(none)'}`,
  );
}

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
    assert.deepEqual(agents.map(([n]) => n), ['compute-node-1', 'compute-node-2', 'compute-node-3']);
    assert.deepEqual(agents.map(([, svc]) => environment(svc).get('NIMBUS_HOST')), ['node-1', 'node-2', 'node-3']);
    assert.deepEqual(agents.map(([, svc]) => svc.volumes), [
      ['node-1-data:/var/lib/nimbus'],
      ['node-2-data:/var/lib/nimbus'],
      ['node-3-data:/var/lib/nimbus'],
    ]);
    for (const [name, svc] of agents) assert.equal(environment(svc).get('NIMBUS_API_URL'), 'http://api:3000', name);
  });

  it('registers exactly the search attributes the workflows use', () => {
    const registered = String(environment(services(fresh())['temporal-namespace']).get('SEARCH_ATTRIBUTES')).split(/\s+/);
    assert.deepEqual(registered, SEARCH_ATTRIBUTES.map((a) => `${a.name}=${a.type}`));
  });

  it('takes secrets from the environment, required, never as literals', () => {
    const doc = fresh();
    for (const secret of ['NIMBUS_ADMIN_TOKEN', 'POSTGRES_PASSWORD']) {
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
    for (const { name, at } of interpolations(fresh())) assert.ok(documented.has(name), `${name} (${at}) missing from .env.example`);
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

describe('docker/Dockerfile', () => {
  const dockerfile = readFileSync(path.join(DOCKER_DIR, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+\s/.test(l));

  it('builds in one stage and runs production dependencies as a non-root user in another', () => {
    assert.ok(instructions.filter((l) => l.startsWith('FROM ')).length >= 2, 'not multi-stage');
    assert.match(dockerfile, /npm ci\n|npm ci$/m);
    // The build makes the prebuilt workflow bundle that production workers load.
    assert.match(dockerfile, /npm run build .*dist\/workflow-bundle\.js/);
    assert.match(dockerfile, /npm ci --omit=dev/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const user = /^USER\s+(\S+)/m.exec(runtime)?.[1];
    assert.ok(user && !['root', '0'].includes(user), `runtime user is ${user ?? 'root (no USER)'}`);
    assert.match(runtime, /COPY --from=build \/app\/dist/);
  });

  it('bakes in no secret and pins its base image', () => {
    for (const line of instructions.filter((l) => /^(ENV|ARG) /.test(l))) {
      assert.doesNotMatch(line, /TOKEN|PASSWORD|SECRET|DATABASE_URL/, line);
    }
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:20\.\d+\.\d+-[\w-]+$/m);
  });

  it('keeps secrets and machine state out of the build context', () => {
    const ignore = readFileSync(path.join(DOCKER_DIR, 'Dockerfile.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/.env', '.nimbus', '**/node_modules', 'dist', '.git']) assert.ok(ignore.includes(entry), entry);
  });
});

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
    assert.deepEqual(environment(services(doc).c), new Map([['DATABASE_URL', 'postgres://x'], ['TEMPORAL_ADDRESS', 't:7233']]));
    assertReported(checkCompose(doc, options), /c\.environment: controller needs NIMBUS_ADMIN_TOKEN/);
  });
});
