import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../core/config.js';

export const WORKFLOWS_PATH = path.join(REPO_ROOT, 'dist', 'workflows', 'index.js');
export const WORKFLOW_BUNDLE_PATH = path.join(REPO_ROOT, 'dist', 'workflow-bundle.js');

/** Production workers load the prebuilt bundle (`npm run build` makes it); without one, bundle at start. */
export function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  return existsSync(WORKFLOW_BUNDLE_PATH)
    ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: WORKFLOWS_PATH };
}
