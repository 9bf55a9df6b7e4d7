import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_TOOLS_DIR } from './temporal-cli.js';

const execFileAsync = promisify(execFile);

/** The OpenStack CLI the compatibility tests run, pinned as checked against Nimbus. */
export const OPENSTACK_CLI_PACKAGES = ['python-openstackclient==10.5.0', 'openstacksdk==4.22.*'];
const VENV_NAME = 'openstackclient-10.5.0-sdk-4.22';

export function openstackVenvDir(toolsDir = DEFAULT_TOOLS_DIR): string {
  return path.join(toolsDir, VENV_NAME);
}

/**
 * The command that runs the CLI: the venv's python with the client's module, so the venv may
 * be renamed into place after its install (entry-point scripts carry the absolute path).
 */
export function openstackCommand(toolsDir = DEFAULT_TOOLS_DIR): [string, string[]] {
  return [path.join(openstackVenvDir(toolsDir), 'bin', 'python'), ['-m', 'openstackclient.shell']];
}

/**
 * Installs the pinned client into a virtualenv under .tools/ unless it is there: built in a
 * private folder, then renamed into place, so an interrupted or concurrent install is never
 * mistaken for a complete one.
 */
export async function ensureOpenstackCli(options: { toolsDir?: string; onInstall?: (dir: string) => void } = {}) {
  const toolsDir = options.toolsDir ?? DEFAULT_TOOLS_DIR;
  const finalDir = openstackVenvDir(toolsDir);
  if (existsSync(path.join(finalDir, 'bin', 'python'))) return openstackCommand(toolsDir);
  options.onInstall?.(finalDir);
  mkdirSync(toolsDir, { recursive: true });
  const tempDir = path.join(toolsDir, `.${VENV_NAME}.partial-${process.pid}-${Date.now().toString(36)}`);
  const env = { ...process.env, PIP_ROOT_USER_ACTION: 'ignore', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  try {
    await execFileAsync('python3', ['-m', 'venv', tempDir]);
    const pip = [path.join(tempDir, 'bin', 'python'), ['-m', 'pip', 'install', '--no-input', '-q']] as const;
    await execFileAsync(pip[0], [...pip[1], ...OPENSTACK_CLI_PACKAGES], { env, maxBuffer: 10 * 1024 * 1024 });
    try {
      renameSync(tempDir, finalDir);
    } catch (err) {
      // Another installer finished first: its copy is as good as ours.
      if (!existsSync(path.join(finalDir, 'bin', 'python'))) throw err;
    }
  } catch (error) {
    const stderr = ((error as { stderr?: string }).stderr ?? '').trim().split('\n').slice(-15).join('\n');
    const hint = /ensurepip|venv/.test(stderr) ? ' (on Debian: apt-get install python3-venv)' : '';
    throw new Error(`Installing ${OPENSTACK_CLI_PACKAGES.join(' ')} into ${finalDir} failed${hint}\n${stderr}`, {
      cause: error,
    });
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
  return openstackCommand(toolsDir);
}
