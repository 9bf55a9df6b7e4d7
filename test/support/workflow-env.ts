import path from 'node:path';
import { after, before } from 'node:test';
import {
  DefaultLogger,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { REPO_ROOT, loadConfig } from '../../core/config.js';
import { resolveTemporalCli } from '../../devstack/temporal-cli.js';
import { temporalDynamicConfigArgs } from '../../devstack/temporal-server.js';
import { InstanceIdKey, InstanceStatusKey, ComputeHostKey, ProjectIdKey } from '../../contracts/search-attributes.js';
import { TaskQueues } from '../../contracts/task-queues.js';
import { lateBound } from './late-bound.js';

/**
 * Workflow tests against a real Temporal dev server (the pinned CLI, never the SDK's
 * download: the network is closed) with every activity mocked. One server, one bundle and
 * one worker per task queue for each test file: `useWorkflowEnv` starts them in `before`
 * and stops them in `after`.
 */

/** The compiled workflows, so a test always runs the current code rather than a stale bundle. */
export const WORKFLOWS_PATH = path.join(REPO_ROOT, 'dist', 'workflows', 'index.js');

let runtimeInstalled = false;

/** Quiet runtime: errors only (failed activities are warnings; the saga logs a failed undo as an error). */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(process.env.NIMBUS_TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'ERROR') });
  } catch {
    // Already installed by an earlier import in this process: keep that one.
  }
}

/** A dev server on a free port with the Nimbus search attributes registered. */
export async function startWorkflowEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const cli = await resolveTemporalCli(loadConfig());
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      searchAttributes: [InstanceIdKey, ProjectIdKey, ComputeHostKey, InstanceStatusKey],
      log: { format: 'pretty', level: 'error' },
      // The stack's server settings, so the workflow tests see the hop latency it has.
      extraArgs: temporalDynamicConfigArgs(),
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles dist/workflows once per process (each test file is its own process). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}

export interface WorkerSet {
  /** Queues with a worker polling them; a compute queue missing here is a dead host. */
  queues: string[];
  stop(): Promise<void>;
}

/**
 * One worker for the workflow queue (workflows + records activities) and one per activity
 * queue, all on the environment's connection. Heartbeats are flushed quickly so that a
 * cancellation reaches a hanging activity in a fraction of a second.
 */
export async function startWorkers(env: TestWorkflowEnvironment, options: WorkerActivities): Promise<WorkerSet> {
  const common = {
    connection: env.nativeConnection,
    shutdownGraceTime: '2 seconds',
    defaultHeartbeatThrottleInterval: '100 milliseconds',
    maxHeartbeatThrottleInterval: '100 milliseconds',
  };
  const workers: Worker[] = [
    await Worker.create({
      ...common,
      taskQueue: TaskQueues.workflows,
      workflowBundle: await workflowBundle(),
      activities: options.records,
    }),
  ];
  for (const [taskQueue, activities] of Object.entries(options.activityQueues)) {
    workers.push(await Worker.create({ ...common, taskQueue, activities }));
  }
  const running = workers.map((w) => w.run());
  return {
    queues: [TaskQueues.workflows, ...Object.keys(options.activityQueues)],
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
    },
  };
}

export interface WorkerActivities {
  /** The records activities, served by the workflow queue's worker. */
  records: object;
  /** Activities by task queue, one worker each. */
  activityQueues: Record<string, object>;
}

/**
 * A dev server and workers over the given activities for the tests of this file or
 * `describe` block: started in a `before` hook, stopped (workers first) in an `after` hook.
 */
export function useWorkflowEnv(activities: () => WorkerActivities): TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  let workers: WorkerSet | undefined;
  before(async () => {
    env = await startWorkflowEnv();
    workers = await startWorkers(env, activities());
  });
  after(async () => {
    await workers?.stop();
    await env?.teardown();
  });
  return lateBound('the workflow environment', () => env);
}
