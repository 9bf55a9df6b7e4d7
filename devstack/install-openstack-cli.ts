/**
 * `node dist/devstack/install-openstack-cli.js`: installs the pinned `openstack` CLI into a
 * virtualenv under .tools/ (from PyPI) and prints how to run it, so CI installs it once
 * ahead of the tests (test/e2e/openstack-*.test.ts) instead of in the middle of them.
 */
import { ensureOpenstackCli } from './openstack-cli.js';

try {
  const [python, args] = await ensureOpenstackCli({
    onInstall: (dir) => process.stderr.write(`Installing the OpenStack CLI into ${dir} ...\n`),
  });
  process.stdout.write(`${[python, ...args].join(' ')}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
