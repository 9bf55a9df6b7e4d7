import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ensureOpenstackCli } from '../../devstack/openstack-cli.js';
import type { TestStack } from './stack.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The OS_* variables of the stack's `<data dir>/openrc` (as `npm start` writes it): the seeded admin. */
export function adminOsEnv(stack: TestStack): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(stack.openrcFile, 'utf8').split('\n')) {
    const m = /^export (OS_\w+)='(.*)'$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/'\\''/g, "'");
  }
  return env;
}

/** Environment without any OS_* the developer's shell may hold, so only the test's credentials count. */
function cleanEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
}

/**
 * The real `openstack` CLI (python-openstackclient pinned, from the project's venv under .tools/,
 * installed on first use), run with exactly the OS_* variables given.
 */
export async function openstack(osEnv: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const [python, prefix] = await ensureOpenstackCli();
  return new Promise((resolve) => {
    execFile(
      python,
      [...prefix, ...args],
      { env: { ...cleanEnv(), ...osEnv }, timeout: 120_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the CLI and expects exit 0; parses `-f json` output when asked for. */
export async function openstackOk(osEnv: Record<string, string>, ...args: string[]): Promise<string> {
  const r = await openstack(osEnv, ...args);
  if (r.code !== 0) {
    throw new Error(`openstack ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r.stdout;
}

export async function openstackJson<T = any>(osEnv: Record<string, string>, ...args: string[]): Promise<T> {
  return JSON.parse(await openstackOk(osEnv, ...args, '-f', 'json')) as T;
}
