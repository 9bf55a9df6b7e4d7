import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { adminPasswordFile, adminTokenFile, REPO_ROOT, type NimbusConfig } from '../core/config.js';
import { prepareDatabase } from '../core/db/prepare.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { writeOpenrc } from './openrc.js';
import { assertPortFree } from './ports.js';
import { storageNodeWiring } from './storage-node.js';
import { sendSignal } from './processes.js';
import { ensureSearchAttributesAt } from './search-attributes.js';
import { stopLeftoverChildren, Supervisor, type SupervisorOptions } from './supervisor.js';
import { resolveTemporalCli } from './temporal-cli.js';
import { startTemporalServer } from './temporal-server.js';

/**
 * The whole development stack in one call: embedded PostgreSQL and Temporal (unless
 * DATABASE_URL / TEMPORAL_ADDRESS point elsewhere), migrations and seeds, then the apps as
 * supervised child processes. `npm start` and the end-to-end tests both use it.
 */

export interface StackOptions {
  /** Compute hosts to run an agent for, e.g. ['node-1', 'node-2', 'node-3']. */
  agents: string[];
  log: Logger;
  /** PostgreSQL, Temporal and migrations only, for running the apps one by one by hand. */
  infraOnly?: boolean;
  /** Extra environment for the apps (on top of ours; the config's own values win). */
  env?: Record<string, string>;
  /** Where `api/main.js`, `controller/main.js`, `compute-agent/main.js` are; default dist/apps. */
  appsDir?: string;
  /** Where app output goes; default stdout, each line prefixed with the app's name. */
  output?: SupervisorOptions['output'];
  /** false: fsync off in the embedded PostgreSQL (throw-away test stacks). */
  durablePostgres?: boolean;
  /** How long the API gets to answer /healthz. */
  readyTimeoutMs?: number;
  /** Aborting it (a Ctrl-C during start-up) stops what was started and rejects. */
  signal?: AbortSignal;
}

export interface StackHandle {
  apiUrl: string;
  graphqlUrl: string;
  docsUrl: string;
  /** Undefined with an external Temporal: its UI is not ours to know. */
  temporalUiUrl?: string;
  temporalAddress: string;
  temporalNamespace: string;
  databaseUrl: string;
  adminToken: string;
  adminTokenFile: string;
  /** The seeded Keystone user `admin`'s password, and the devstack-style openrc that names it. */
  adminPassword: string;
  openrcFile: string;
  dataDir: string;
  supervisor: Supervisor;
  /**
   * The embedded Temporal dev server, for failure tests: `kill()` is a SIGKILL (a power cut),
   * `start()` starts it again on the same port with the same data file, so the builds in it
   * go on. Undefined with an external Temporal.
   */
  temporal?: { kill(): Promise<void>; start(): Promise<void> };
  /**
   * The embedded PostgreSQL, for failure tests: `stop()` is a fast shutdown (open sessions
   * end with 57P01, new ones are refused), `start()` starts it again on the same port and
   * data. Undefined with an external database.
   */
  postgres?: { stop(): Promise<void>; start(): Promise<void> };
  /** Apps first, then Temporal, then PostgreSQL. Idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_APPS_DIR = path.join(REPO_ROOT, 'dist', 'apps');

/** An admin secret (token, password): the configured one, else a new one; saved owner-only either way. */
function settleSecret(configured: string | undefined, file: string): { token: string; file: string } {
  const token = configured ?? randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file };
}

/** The loopback address to reach the API on, whatever it binds to. */
function apiBaseUrl(config: NimbusConfig): string {
  const wildcard = ['', '0.0.0.0', '::', '[::]'].includes(config.apiHost);
  const host = wildcard ? '127.0.0.1' : config.apiHost.includes(':') ? `[${config.apiHost}]` : config.apiHost;
  return `http://${host}:${config.apiPort}`;
}

/** What every app is told, so each one sees exactly the stack this launcher started. */
export function appEnvironment(
  config: NimbusConfig,
  wiring: { databaseUrl: string; temporalAddress: string; adminToken: string },
): Record<string, string> {
  return {
    NIMBUS_DATA_DIR: config.dataDir,
    NIMBUS_API_HOST: config.apiHost,
    NIMBUS_API_PORT: String(config.apiPort),
    NIMBUS_API_URL: config.apiUrl,
    NIMBUS_TEMPORAL_PORT: String(config.temporalPort),
    NIMBUS_TEMPORAL_UI_PORT: String(config.temporalUiPort),
    NIMBUS_PG_PORT: String(config.pgPort),
    DATABASE_URL: wiring.databaseUrl,
    TEMPORAL_ADDRESS: wiring.temporalAddress,
    TEMPORAL_NAMESPACE: config.temporalNamespace,
    NIMBUS_ADMIN_TOKEN: wiring.adminToken,
    NIMBUS_SERVICE_DOWN_TIME: String(config.serviceDownTimeSec),
    NIMBUS_HEARTBEAT_INTERVAL: String(config.heartbeatIntervalSec),
    NIMBUS_HYPERVISOR_DELAY_MS: String(config.hypervisorDelayMs),
    NIMBUS_ISCSI_PORTAL: config.iscsiPortal,
    NIMBUS_STORAGE_BACKEND: config.storageBackend,
    NIMBUS_TGT_CONTROL_PORT: String(config.tgtControlPort),
    NIMBUS_STORAGE_POOL_DIR: config.storagePoolDir,
    ...(config.storageNetns ? { NIMBUS_STORAGE_NETNS: config.storageNetns } : {}),
    NIMBUS_LOG_LEVEL: config.logLevel,
  };
}

export async function startStack(config: NimbusConfig, options: StackOptions): Promise<StackHandle> {
  const { log, signal } = options;
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    // Reverse order of start: apps, then Temporal, then PostgreSQL.
    while (stops.length > 0) {
      const stop = stops.pop()!;
      await stop().catch((error: unknown) => log.error({ err: error }, 'error while stopping the stack'));
    }
  };

  const runDir = path.join(config.dataDir, 'run');
  const appsDir = options.appsDir ?? DEFAULT_APPS_DIR;
  const supervisor = new Supervisor({ log, output: options.output, runDir });
  try {
    mkdirSync(config.dataDir, { recursive: true });
    const admin = settleSecret(config.adminToken, adminTokenFile(config.dataDir));
    const password = settleSecret(config.adminPassword, adminPasswordFile(config.dataDir)).token;
    // Apps of a launcher that was killed outright still run; stop them before their infrastructure.
    await stopLeftoverChildren(runDir, (cmd) => cmd.includes(appsDir), log);
    // Checked before anything starts: else the health check could be answered by whatever
    // already listens there.
    if (!options.infraOnly) await assertPortFree(config.apiPort, 'The API', 'NIMBUS_API_PORT');

    let databaseUrl = config.databaseUrl;
    let postgresControl: StackHandle['postgres'];
    if (!config.externalDatabaseUrl) {
      const postgresOptions = {
        dataDir: path.join(config.dataDir, 'postgres'),
        port: config.pgPort,
        log,
        durable: options.durablePostgres ?? true,
      };
      let postgres = await startEmbeddedPostgres(postgresOptions);
      // The server running now, which a failure test may have restarted.
      stops.push(() => postgres.stop());
      databaseUrl = postgres.url;
      postgresControl = {
        stop: () => postgres.stop(),
        start: async () => {
          postgres = await startEmbeddedPostgres(postgresOptions);
        },
      };
    }
    signal?.throwIfAborted();

    let temporalAddress = config.temporalAddress;
    let temporalUiUrl: string | undefined;
    let temporalControl: StackHandle['temporal'];
    if (config.externalTemporalAddress) {
      await ensureSearchAttributesAt(config.externalTemporalAddress, config.temporalNamespace);
    } else {
      const cli = await resolveTemporalCli(config, {
        onInstall: (dir) => log.info({ dir }, 'installing the Temporal CLI (first run only)'),
      });
      const temporalOptions = {
        cli,
        dataDir: path.join(config.dataDir, 'temporal'),
        port: config.temporalPort,
        uiPort: config.temporalUiPort,
        namespace: config.temporalNamespace,
        log,
      };
      let temporal = await startTemporalServer(temporalOptions);
      // The server running now, which a failure test may have replaced.
      stops.push(() => temporal.stop());
      temporalAddress = temporal.address;
      temporalUiUrl = temporal.uiUrl;
      temporalControl = {
        kill: async () => {
          sendSignal(temporal.pid, 'SIGKILL');
          await temporal.stop();
        },
        start: async () => {
          temporal = await startTemporalServer(temporalOptions);
        },
      };
    }
    signal?.throwIfAborted();

    await prepareDatabase(databaseUrl, { adminToken: admin.token, adminPassword: password });
    signal?.throwIfAborted();

    const apiUrl = apiBaseUrl(config);
    if (!options.infraOnly) {
      const given = { ...process.env, ...options.env };
      const env = {
        ...given,
        ...appEnvironment(config, { databaseUrl, temporalAddress, adminToken: admin.token }),
        ...(await storageNodeWiring(config, given)),
        NIMBUS_ADMIN_PASSWORD: password,
      };
      addApps(supervisor, options.agents, appsDir, env);
      if (config.storageBackend === 'tgt')
        supervisor.add({ name: 'storage-node', ...appCommand(appsDir, env, 'storage-node') });
      stops.push(() => supervisor.stopAll());
      await supervisor.startAll();
      await waitForHealth(apiUrl, supervisor, options.readyTimeoutMs ?? 90_000, signal);
      log.info({ apiUrl }, 'Nimbus is ready');
    }

    let stopping: Promise<void> | undefined;
    return {
      apiUrl,
      graphqlUrl: `${apiUrl}/graphql`,
      docsUrl: `${apiUrl}/docs`,
      temporalUiUrl,
      temporalAddress,
      temporalNamespace: config.temporalNamespace,
      databaseUrl,
      adminToken: admin.token,
      adminTokenFile: admin.file,
      adminPassword: password,
      openrcFile: writeOpenrc(config.dataDir, apiUrl, password, config.region),
      dataDir: config.dataDir,
      supervisor,
      temporal: temporalControl,
      postgres: postgresControl,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function appCommand(appsDir: string, env: NodeJS.ProcessEnv, app: string, ...args: string[]) {
  return {
    command: process.execPath,
    args: ['--enable-source-maps', path.join(appsDir, app, 'main.js'), ...args],
    env,
    cwd: REPO_ROOT,
  };
}

function addApps(supervisor: Supervisor, agents: string[], appsDir: string, env: NodeJS.ProcessEnv): void {
  const node = (app: string, ...args: string[]) => appCommand(appsDir, env, app, ...args);
  supervisor.add({ name: 'api', ...node('api') });
  supervisor.add({ name: 'controller', ...node('controller') });
  for (const host of agents) {
    supervisor.add({ name: host, ...node('compute-agent', '--host', host) });
  }
}

/** Resolves once GET /healthz answers 200; fails with the API's last output otherwise. */
async function waitForHealth(
  apiUrl: string,
  supervisor: Supervisor,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    try {
      const response = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).cause ? String((error as Error).cause) : (error as Error).message;
    }
    await sleep(250);
  }
  const apiStatus = supervisor.status().find((child) => child.name === 'api');
  throw new Error(
    `The API did not answer ${apiUrl}/healthz with 200 within ${timeoutMs / 1000}s (last: ${last}; ` +
      `restarts: ${apiStatus?.restarts ?? 0}). Its last output:\n${supervisor.recentOutput('api', 40).join('\n')}`,
  );
}
