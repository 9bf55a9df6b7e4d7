import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { REPO_ROOT } from '../../core/config.js';

export const HISTORIES_DIR = path.join(REPO_ROOT, 'test', 'histories');

export interface RecordedHistory {
  scenario: string;
  description: string;
  workflowId: string;
  workflowType: string;
  status: string;
  history: unknown;
}

/** Every history `npm run record-histories` saved, in name order. */
export function loadHistories(): RecordedHistory[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')) as RecordedHistory);
}

// The replay tests provoke non-determinism on purpose: the SDK core need not warn about each one.
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export function bundle(workflowsPath: string): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, logger: quiet });
}

/** Replays each history against the bundle; returns the failures with a readable reason. */
export async function replayAll(
  workflowBundle: WorkflowBundle,
  histories: RecordedHistory[],
): Promise<Array<{ scenario: string; error: string }>> {
  const byId = new Map(histories.map((h) => [h.workflowId, h]));
  const failures: Array<{ scenario: string; error: string }> = [];
  const results = Worker.runReplayHistories(
    { workflowBundle, replayName: 'nimbus-replay' },
    histories.map((h) => ({ workflowId: h.workflowId, history: historyFromJSON(h.history) })),
  );
  for await (const result of results) {
    if (result.error) {
      const h = byId.get(result.workflowId)!;
      failures.push({ scenario: h.scenario, error: `${result.error.name}: ${result.error.message}` });
    }
  }
  return failures;
}
