import { DEFAULT_TOOLS_DIR } from './temporal-cli.js';
import { ensureVenv, venvPython, type PythonTool } from './python-venv.js';

/** The OpenStack CLI the compatibility tests run, pinned as checked against Nimbus. */
export const OPENSTACK_CLI: PythonTool = {
  venvName: 'openstackclient-10.5.0-sdk-4.22',
  packages: ['python-openstackclient==10.5.0', 'openstacksdk==4.22.*'],
};

/**
 * The command that runs the CLI: the venv's python with the client's module, so the venv may
 * be renamed into place after its install (entry-point scripts carry the absolute path).
 */
export function openstackCommand(toolsDir = DEFAULT_TOOLS_DIR): [string, string[]] {
  return [venvPython(OPENSTACK_CLI, toolsDir), ['-m', 'openstackclient.shell']];
}

/** Installs the pinned client into its virtualenv under .tools/ unless it is there (devstack/python-venv.ts). */
export async function ensureOpenstackCli(options: { toolsDir?: string; onInstall?: (dir: string) => void } = {}) {
  await ensureVenv(OPENSTACK_CLI, options);
  return openstackCommand(options.toolsDir);
}
