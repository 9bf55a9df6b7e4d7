/**
 * The workflow import rule is an ESLint rule (eslint.config.js, `npm run lint`): workflow code
 * imports only the workflow SDK, its own files and contracts/ — no Node built-ins, no
 * NestJS/TypeORM classes, no domain or activity code — so the sandboxed bundle stays
 * deterministic and small. These tests show the rule fails on a violation and passes on clean
 * code. The rule needs no type information, so the type-aware rules are switched off here:
 * each lint is a single in-memory file and takes milliseconds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { REPO_ROOT } from '../../core/config.js';

const eslint = new ESLint({ cwd: REPO_ROOT, overrideConfig: tseslint.configs.disableTypeChecked });

async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

const CLEAN = `import { log, proxyActivities } from '@temporalio/workflow';
import type { NoopActivities } from '../contracts/activities.js';
import { failureMessage } from './failures.js';

const { noop } = proxyActivities<NoopActivities>({ startToCloseTimeout: '1 minute' });

export async function Clean(): Promise<void> {
  await noop().catch((err: unknown) => log.warn(failureMessage(err)));
}
`;

describe('workflow import rule (ESLint)', () => {
  it('passes a workflow that imports the SDK, contracts/ and its own files', async () => {
    assert.deepEqual(await lint('workflows/clean.ts', CLEAN), []);
  });

  for (const [what, code] of [
    ['a Node built-in', `import fs from 'node:fs';\nexport const f = fs;\n`],
    ['domain code', `import { isUuid } from '../core/ids.js';\nexport const f = isUuid;\n`],
    ['activity code', `import * as a from '../activities/index.js';\nexport const f = a;\n`],
    ['a path that leaves contracts/', `import * as c from '../contracts/../core/ids.js';\nexport const f = c;\n`],
    ['another package', `import { DataSource } from 'typeorm';\nexport const f = DataSource;\n`],
  ]) {
    it(`fails a workflow that imports ${what}`, async () => {
      const problems = await lint('workflows/violation.ts', code);
      assert.ok(problems.length === 1 && problems[0].startsWith('no-restricted-imports:'), problems.join('\n'));
    });
  }

  it('fails a dynamic import in workflow code', async () => {
    const problems = await lint('workflows/violation.ts', `export const f = () => import('node:fs');\n`);
    assert.deepEqual(problems, ['no-restricted-syntax: Workflow code has no dynamic imports.']);
  });

  it('holds contracts/ (imported by workflows) to the SDK and itself', async () => {
    const clean = `import { SearchAttributeType } from '@temporalio/common';\nexport const t = SearchAttributeType;\n`;
    assert.deepEqual(await lint('contracts/clean.ts', clean), []);
    const problems = await lint('contracts/violation.ts', `import path from 'node:path';\nexport const p = path;\n`);
    assert.ok(problems.length === 1 && problems[0].startsWith('no-restricted-imports:'), problems.join('\n'));
  });

  it('does not apply outside workflows/ and contracts/', async () => {
    assert.deepEqual(await lint('core/elsewhere.ts', `import fs from 'node:fs';\nexport const f = fs;\n`), []);
  });
});
