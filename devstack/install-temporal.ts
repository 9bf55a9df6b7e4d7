/**
 * `node dist/devstack/install-temporal.js`: makes sure a Temporal CLI is available (the same
 * order as the stack uses) and prints its path, so CI and a fresh checkout can install it
 * ahead of the first start or test run instead of in the middle of one.
 */
import { loadConfig } from '../core/config.js';
import { resolveTemporalCli } from './temporal-cli.js';

try {
  const cli = await resolveTemporalCli(loadConfig(), {
    onInstall: (dir) => process.stderr.write(`Installing the Temporal CLI into ${dir} ...\n`),
  });
  process.stdout.write(`${cli}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
