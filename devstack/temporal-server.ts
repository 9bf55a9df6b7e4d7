import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.js';
import { assertPortFree } from './ports.js';
import { removePidFile, stopLeftover, writePidFile, type OutputTail } from './processes.js';
import { ensureSearchAttributes, type SearchAttributeSpec } from './search-attributes.js';
import { exitOf, guardedStop, tailOutput } from './server-process.js';

export interface TemporalServerOptions {
  /** Absolute path of the Temporal CLI (see resolveTemporalCli). */
  cli: string;
  /** Folder for the server's SQLite file and pid file, e.g. `<NIMBUS_DATA_DIR>/temporal`. */
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  searchAttributes?: ReadonlyArray<SearchAttributeSpec>;
  log: Logger;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
}

export interface TemporalServer {
  address: string;
  uiUrl: string;
  namespace: string;
  pid: number;
  /** Settles when the process is gone, however it went. */
  exited: Promise<string>;
  /** SIGTERM, then SIGKILL after a few seconds; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Dynamic configuration the server needs for Nimbus's latency; docker/temporal/dynamicconfig.yaml
 * sets the same values for production (test/unit/compose.test.ts keeps the two equal).
 *
 * `history.transferProcessorMaxPollRPS` caps how often a history shard's transfer queue reads
 * new tasks (default 20 a second). Every hop of a build (a workflow task or an activity handed
 * to matching) is a transfer task, and one build's hops are all on its workflow's shard, so at
 * the default each hop waited for the next read: about 40 ms a hop, 21 hops, POST → ACTIVE 1.06 s
 * for a build alone, nearly all of it waiting. At 1000 a hop waits about 2 ms (0.28 s a build;
 * 250 gave 0.34 s), and the CPU per build under load went down rather than up (npm run bench;
 * README "Performance"), and an idle server's CPU did not rise (4 ms/s, npm run bench -- scale).
 * The cap is a ceiling on reads, not a rate of them: the queue reads when it is told of new tasks.
 */
export const TEMPORAL_DYNAMIC_CONFIG: Readonly<Record<string, number>> = {
  'history.transferProcessorMaxPollRPS': 1000,
};

/** TEMPORAL_DYNAMIC_CONFIG as `temporal server start-dev` arguments (the tests' servers use them too). */
export function temporalDynamicConfigArgs(): string[] {
  return Object.entries(TEMPORAL_DYNAMIC_CONFIG).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${value}`,
  ]);
}

export function temporalDbFile(dataDir: string): string {
  return path.join(dataDir, 'temporal.db');
}

/** The `temporal server start-dev` arguments (exported for the unit test). */
export function temporalServerArgs(options: TemporalServerOptions): string[] {
  const attributes = options.searchAttributes ?? SEARCH_ATTRIBUTES;
  return [
    'server',
    'start-dev',
    // A data file, so builds in flight survive a restart of the stack.
    '--db-filename',
    temporalDbFile(options.dataDir),
    // SQLite's defaults (a rollback journal created, fsynced and deleted on every commit) made
    // the dev server the stack's bottleneck: ~3x the CPU per build and a third of it in the
    // kernel (npm run bench). A write-ahead log, fsynced at checkpoints, survives a crash of
    // the server; a power cut may lose the last commits, never the file.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    // The network may be closed; the UI must not try to fetch its news feed.
    '--ui-disable-news-fetch',
    ...temporalDynamicConfigArgs(),
    ...attributes.flatMap(({ name, type }) => ['--search-attribute', `${name}=${type}`]),
  ];
}

/** The CLI reads TEMPORAL_ADDRESS & co. as client settings; the server it starts must not. */
function serverEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TEMPORAL_')));
}

/**
 * Starts the Temporal dev server (with its Web UI) and resolves once it answers for
 * `namespace` with Nimbus's search attributes registered.
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const { log, port, namespace } = options;
  const address = `127.0.0.1:${port}`;
  mkdirSync(options.dataDir, { recursive: true });
  const pidFile = path.join(options.dataDir, 'temporal.pid');
  const dbFile = temporalDbFile(options.dataDir);
  await stopLeftover(pidFile, (cmd) => cmd.includes('start-dev') && cmd.includes(dbFile), {
    onLeftover: (pid) => log.warn({ pid }, 'stopping a Temporal dev server left running by a previous run'),
  });
  await assertPortFree(port, 'The Temporal dev server', 'NIMBUS_TEMPORAL_PORT');
  await assertPortFree(options.uiPort, 'The Temporal Web UI', 'NIMBUS_TEMPORAL_UI_PORT');

  const child = spawn(options.cli, temporalServerArgs(options), {
    // Own process group: a Ctrl-C reaches the launcher only, which stops Temporal after the apps.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: serverEnv(),
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const tail = tailOutput(child, 200, (line) => log.debug({ temporal: line }, 'temporal dev server'));
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((resolve) => setImmediate(resolve));
    throw new Error(`Cannot start the Temporal dev server (${options.cli}): ${spawnError?.message ?? 'no pid'}`);
  }
  writePidFile(pidFile, pid);
  const stop = guardedStop(child, pid, {
    signal: 'SIGTERM',
    timeoutMs: options.stopTimeoutMs ?? 5000,
    afterStop: () => removePidFile(pidFile),
  });

  try {
    await waitUntilReady(child, tail, options, address);
  } catch (error) {
    await stop();
    throw error;
  }
  log.info({ address, pid }, 'Temporal dev server ready');
  return { address, uiUrl: `http://127.0.0.1:${options.uiPort}`, namespace, pid, exited: exitOf(child), stop };
}

async function waitUntilReady(
  child: ChildProcess,
  tail: OutputTail,
  options: TemporalServerOptions,
  address: string,
): Promise<void> {
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `The Temporal dev server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n` +
          tail.toString(),
      );
    }
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '2s' });
      await connection.withDeadline(Date.now() + 5000, async () => {
        await connection!.workflowService.describeNamespace({ namespace: options.namespace });
        await ensureSearchAttributes(connection!, options.namespace, options.searchAttributes ?? SEARCH_ATTRIBUTES);
      });
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(
    `The Temporal dev server on ${address} was not ready after ${timeoutMs / 1000}s ` +
      `(${(lastError as Error | undefined)?.message ?? 'no answer'}). Its output:\n${tail.toString()}`,
  );
}
