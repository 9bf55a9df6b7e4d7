import type { Client } from '@temporalio/client';

/** The id of a closed workflow of `type` that concerns `host` (started by an agent or the API). */
export async function firstOfType(client: Client, type: string, host: string): Promise<string> {
  const query = `WorkflowType = '${type}' AND ExecutionStatus != 'Running'`;
  // Visibility follows the executions a moment later.
  for (let tries = 0; tries < 40; tries++) {
    for await (const wf of client.workflow.list({ query })) {
      if (wf.workflowId.includes(`-${host}-`)) return wf.workflowId;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no closed ${type} workflow of ${host}`);
}
