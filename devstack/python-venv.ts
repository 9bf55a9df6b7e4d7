import { execFile } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_TOOLS_DIR } from './temporal-cli.js';

const execFileAsync = promisify(execFile);

/** A pinned Python tool in its own virtualenv under .tools/ (the openstack CLI, schemathesis). */
export interface PythonTool {
  /** The folder name under .tools/: it names the pinned versions, so a new pin gets a new venv. */
  venvName: string;
  /** pip requirement specifiers, pinned. */
  packages: readonly string[];
}

export function venvDir(tool: PythonTool, toolsDir = DEFAULT_TOOLS_DIR): string {
  return path.join(toolsDir, tool.venvName);
}

/** The venv's python: run modules with `-m`, so the venv may be renamed into place after its install. */
export function venvPython(tool: PythonTool, toolsDir = DEFAULT_TOOLS_DIR): string {
  return path.join(venvDir(tool, toolsDir), 'bin', 'python');
}

/**
 * Installs the pinned packages into a virtualenv under .tools/ unless it is there: built in a
 * private folder, then renamed into place, so an interrupted or concurrent install is never
 * mistaken for a complete one. Returns the venv's python.
 */
export async function ensureVenv(
  tool: PythonTool,
  options: { toolsDir?: string; onInstall?: (dir: string) => void } = {},
): Promise<string> {
  const toolsDir = options.toolsDir ?? DEFAULT_TOOLS_DIR;
  const finalDir = venvDir(tool, toolsDir);
  if (existsSync(path.join(finalDir, 'bin', 'python'))) return venvPython(tool, toolsDir);
  options.onInstall?.(finalDir);
  mkdirSync(toolsDir, { recursive: true });
  const tempDir = path.join(toolsDir, `.${tool.venvName}.partial-${process.pid}-${Date.now().toString(36)}`);
  const env = { ...process.env, PIP_ROOT_USER_ACTION: 'ignore', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  try {
    await execFileAsync('python3', ['-m', 'venv', '--prompt', tool.venvName, tempDir]);
    const pip = [path.join(tempDir, 'bin', 'python'), ['-m', 'pip', 'install', '--no-input', '-q']] as const;
    await execFileAsync(pip[0], [...pip[1], ...tool.packages], { env, maxBuffer: 10 * 1024 * 1024 });
    pointScriptsAt(tempDir, finalDir);
    try {
      renameSync(tempDir, finalDir);
    } catch (err) {
      // Another installer finished first: its copy is as good as ours.
      if (!existsSync(path.join(finalDir, 'bin', 'python'))) throw err;
    }
  } catch (error) {
    const stderr = ((error as { stderr?: string }).stderr ?? '').trim().split('\n').slice(-15).join('\n');
    const hint = /ensurepip|venv/.test(stderr) ? ' (on Debian: apt-get install python3-venv)' : '';
    throw new Error(`Installing ${tool.packages.join(' ')} into ${finalDir} failed${hint}\n${stderr}`, {
      cause: error,
    });
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
  return venvPython(tool, toolsDir);
}

/**
 * pip writes the venv's own path into its console scripts (`#!…/bin/python`) and activate
 * scripts: made in the private folder, they would name it after the rename. They name the
 * final folder instead, so `.tools/<venv>/bin/openstack` runs as it does in any venv.
 */
function pointScriptsAt(tempDir: string, finalDir: string): void {
  const bin = path.join(tempDir, 'bin');
  for (const name of readdirSync(bin)) {
    const file = path.join(bin, name);
    const stat = lstatSync(file);
    if (!stat.isFile() || stat.size > 1024 * 1024) continue;
    const text = readFileSync(file, 'utf8');
    if (text.includes(tempDir)) writeFileSync(file, text.split(tempDir).join(finalDir));
  }
}
