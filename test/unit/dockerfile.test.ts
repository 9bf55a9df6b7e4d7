import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DOCKER_DIR } from '../support/compose-file.js';

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
    for (const entry of ['**/.env', '.nimbus', '**/node_modules', 'dist', '.git'])
      assert.ok(ignore.includes(entry), entry);
  });
});
