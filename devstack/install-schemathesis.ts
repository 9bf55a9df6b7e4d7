/**
 * `node dist/devstack/install-schemathesis.js`: installs the pinned schemathesis into a
 * virtualenv under .tools/ (from PyPI) and prints how to run it, so CI installs it once
 * ahead of the tests (test/e2e/api-fuzzing.test.ts) instead of in the middle of them.
 */
import { ensureSchemathesis } from './schemathesis.js';

try {
  const [python, args] = await ensureSchemathesis({
    onInstall: (dir) => process.stderr.write(`Installing schemathesis into ${dir} ...\n`),
  });
  process.stdout.write(`${[python, ...args].join(' ')}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
