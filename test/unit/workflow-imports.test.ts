/**
 * The rule STYLE.md asks a lint rule for: workflow code imports only the workflow SDK and the
 * shared contracts — no Node built-ins, no NestJS/TypeORM classes, no domain or activity code —
 * so the sandboxed bundle stays deterministic and small.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../core/config.js';

const ALLOWED_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common']);

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

function check(dir: string, allowedDirs: string[]): string[] {
  const problems: string[] = [];
  for (const name of readdirSync(path.join(REPO_ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
    const file = path.join(REPO_ROOT, dir, name);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) {
        const target = path.relative(REPO_ROOT, path.resolve(path.dirname(file), spec));
        if (!allowedDirs.some((d) => target.startsWith(`${d}/`))) problems.push(`${dir}/${name} imports ${spec} (outside ${allowedDirs.join(', ')})`);
      } else if (!ALLOWED_PACKAGES.has(spec)) {
        problems.push(`${dir}/${name} imports ${spec}`);
      }
    }
  }
  return problems;
}

describe('workflow code imports', () => {
  it('workflows/ imports only the workflow SDK, contracts/ and itself', () => {
    assert.deepEqual(check('workflows', ['workflows', 'contracts']), []);
  });

  it('contracts/ (imported by workflows) imports only the SDK and itself', () => {
    assert.deepEqual(check('contracts', ['contracts']), []);
  });

  it('catches a forbidden import (the check can fail)', () => {
    // core/ may use Node and TypeORM: held to the workflow rule, it must be reported.
    const problems = check('core', ['core']);
    assert.ok(problems.some((p) => p.includes('imports node:')), problems.join('\n'));
  });
});
