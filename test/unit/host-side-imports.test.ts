/**
 * DESIGN's split between the two halves of the data plane: host-side code (hypervisor, VIF,
 * connector) never reaches the database, and the control plane's services (IPAM and ports,
 * volumes and their backend) never shell out. Checked over everything each file imports.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../core/config.js';

// Type-only imports (`import type …`) are left out: the compiler erases them, nothing is loaded.
const IMPORT = /^\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every module a file reaches through its imports: repository files by relative path, packages by name. */
function reachable(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    for (const m of readFileSync(path.join(REPO_ROOT, file), 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) {
        queue.push(spec);
        continue;
      }
      const target = path
        .relative(REPO_ROOT, path.resolve(REPO_ROOT, path.dirname(file), spec))
        .replace(/\.js$/, '.ts');
      if (existsSync(path.join(REPO_ROOT, target))) queue.push(target);
    }
  }
  return seen;
}

const tsFiles = (dir: string) =>
  readdirSync(path.join(REPO_ROOT, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f}`);

describe('data plane boundaries', () => {
  it('host-side code never imports the database', () => {
    const host = [
      ...['core/hypervisor', 'core/hypervisor/qemu', 'core/hypervisor/guest-image'].flatMap(tsFiles),
      ...tsFiles('core/network/vif'),
      ...tsFiles('core/network/dhcp'),
      ...tsFiles('core/network/linux'),
      'core/storage/connector.ts',
      // The processes that run on hosts, whole (issue 16, finding 15): a compute agent (and the
      // simulated fleet of them) and the network node reach Temporal and the image service only.
      'apps/compute-agent/main.ts',
      'apps/compute-agent/simulated-fleet.ts',
      'apps/network-node/main.ts',
      'apps/storage-node/main.ts',
      // The storage node's backend (Cinder-volume's driver) shells out to tgtadm, never reaches the database.
      ...tsFiles('core/storage/backends/tgt'),
    ];
    const reached = [...reachable(host)];
    const database = reached.filter((m) => m.startsWith('core/db/') || ['typeorm', 'pg'].includes(m));
    assert.deepEqual(database, []);
  });

  it("the control plane's network and storage services never shell out", () => {
    const control = [
      'core/network/port-allocator.ts',
      'core/network/network-service.ts',
      'core/storage/volume-service.ts',
      ...tsFiles('core/storage/backends'),
    ];
    const reached = [...reachable(control)];
    assert.deepEqual(
      reached.filter((m) => ['node:child_process', 'child_process', 'execa'].includes(m)),
      [],
    );
    assert.ok(reached.includes('core/storage/backends/fake.ts'), 'the walk follows relative imports');
  });
});
