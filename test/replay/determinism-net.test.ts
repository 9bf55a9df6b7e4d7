/**
 * Proof that the replay net catches what it must: variants of the compiled workflow code
 * are bundled side by side with the real one. A variant that adds a step is refused on every
 * CreateInstance history; the same change behind patched() replays cleanly, which is the
 * project's convention for changing a workflow that has builds in flight.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../../core/config.js';
import { bundle, loadHistories, replayAll } from '../support/histories.js';

const DIST = path.join(REPO_ROOT, 'dist');
// Inside the checkout so the bundler resolves @temporalio/* from node_modules.
const VARIANTS = path.join(DIST, 'replay-variants');
const ANCHOR = 'const build = new Build(input);';

/** Copies the compiled workflows and contracts and rewrites create-instance.js. */
function variant(name: string, rewrite: (source: string) => string): string {
  const root = path.join(VARIANTS, name);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const dir of ['workflows', 'contracts']) cpSync(path.join(DIST, dir), path.join(root, dir), { recursive: true });
  const file = path.join(root, 'workflows', 'create-instance.js');
  const source = readFileSync(file, 'utf8');
  assert.ok(source.includes(ANCHOR), 'the compiled workflow still has the anchor this test edits at');
  writeFileSync(file, rewrite(source));
  return path.join(root, 'workflows', 'index.js');
}

/** The source importing `patched` from @temporalio/workflow (the workflow may already). */
const withPatched = (s: string) =>
  /\bpatched\b/.test(s.slice(0, s.indexOf(ANCHOR))) ? s : s.replace(/import \{/, 'import { patched,');

const creates = loadHistories().filter((h) => h.workflowType === 'CreateInstance');

describe('the replay net', () => {
  before(() => assert.ok(creates.length >= 5, 'CreateInstance histories are recorded'));
  after(() => rmSync(VARIANTS, { recursive: true, force: true }));

  it('passes the unchanged code', async () => {
    const failures = await replayAll(await bundle(variant('unchanged', (s) => s)), creates);
    assert.deepEqual(failures, []);
  });

  it('fails every CreateInstance history when a step is added before scheduling', async () => {
    const extraStep = `${ANCHOR}\n    await build.record.recordTaskState({ instanceId, taskState: 'scheduling' });`;
    const failures = await replayAll(await bundle(variant('extra-step', (s) => s.replace(ANCHOR, extraStep))), creates);
    assert.deepEqual(failures.map((f) => f.scenario).sort(), creates.map((h) => h.scenario).sort());
    for (const f of failures) assert.match(f.error, /DeterminismViolation|[Nn]ondetermin/, f.error);
  });

  it('passes the same change guarded by patched()', async () => {
    const guarded =
      `${ANCHOR}\n    if (patched('record-initial-task-state')) ` +
      `await build.record.recordTaskState({ instanceId, taskState: 'scheduling' });`;
    const failures = await replayAll(
      await bundle(variant('patched-step', (s) => withPatched(s).replace(ANCHOR, guarded))),
      creates,
    );
    assert.deepEqual(failures, []);
  });
});
