import { DEFAULT_TOOLS_DIR } from './temporal-cli.js';
import { ensureVenv, venvPython, type PythonTool } from './python-venv.js';

/** The API fuzzer of test/e2e/api-fuzzing.test.ts, pinned: its checks change between releases. */
export const SCHEMATHESIS: PythonTool = { venvName: 'schemathesis-4.32.5', packages: ['schemathesis==4.32.5'] };

/** `python -m schemathesis.cli` of the project's venv (entry-point scripts carry the venv's absolute path). */
export function schemathesisCommand(toolsDir = DEFAULT_TOOLS_DIR): [string, string[]] {
  return [venvPython(SCHEMATHESIS, toolsDir), ['-m', 'schemathesis.cli']];
}

/** Installs the pinned schemathesis into its virtualenv under .tools/ unless it is there. */
export async function ensureSchemathesis(options: { toolsDir?: string; onInstall?: (dir: string) => void } = {}) {
  await ensureVenv(SCHEMATHESIS, options);
  return schemathesisCommand(options.toolsDir);
}
