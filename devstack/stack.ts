import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  adminPasswordFile,
  adminTokenFile,
  agentTokenFile,
  dhcpStateDir,
  REPO_ROOT,
  type NimbusConfig,
} from '../core/config.js';
import { prepareDatabase } from '../core/db/prepare.js';
import { removeAllDhcp } from '../core/network/dhcp/dhcp-driver-factory.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { KeptRunning } from './kept-running.js';
import { startMachines } from './fabric.js';
import { writeOpenrc } from './openrc.js';
import { assertPortFree } from './ports.js';
import { addApps, appEnvironment, waitForHealth } from './stack-apps.js';
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
  /** Extra Node options per app by name, e.g. { controller: ['--cpu-prof'] } (the benchmark's profile). */
  nodeArgs?: Record<string, string[]>;
  /** Where app output goes; default stdout, each line prefixed with the app's name. */
  output?: SupervisorOptions['output'];
  /** false: fsync off in the embedded PostgreSQL (throw-away test stacks). */
  durablePostgres?: boolean;
  /** How long the API gets to answer /healthz. */
  readyTimeoutMs?: number;
  /**
   * With QEMU as root each host is a machine (a namespace, devstack/fabric.ts). true: stop
   * removes them (test stacks, whose guests are gone by then); else they stay, as machines
   * do, for the guests that outlive their agent.
   */
  removeMachines?: boolean;
  /** Aborting it (a Ctrl-C during start-up) stops what was started and rejects. */
  signal?: AbortSignal;
}

/**
 * One of the stack's own servers, which the stack keeps running (devstack/kept-running.ts):
 * `crash()` is a SIGKILL the stack notices and repairs by itself, counted in `restarts()`;
 * `start()` undoes a deliberate stop.
 */
export interface InfraControl {
  start(): Promise<void>;
  crash(): void;
  restarts(): number;
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
  /** The compute agents' service credential (scope image:read). */
  agentToken: string;
  /** The seeded Keystone user `admin`'s password, and the devstack-style openrc that names it. */
  adminPassword: string;
  openrcFile: string;
  dataDir: string;
  supervisor: Supervisor;
  /**
   * The embedded Temporal dev server, for failure tests: `kill()` is a SIGKILL (a power cut)
   * that the stack leaves down, `start()` starts it again on the same port with the same data
   * file, so the builds in it go on. Undefined with an external Temporal.
   */
  temporal?: InfraControl & { kill(): Promise<void> };
  /**
   * The embedded PostgreSQL, for failure tests: `stop()` is a fast shutdown (open sessions
   * end with 57P01, new ones are refused), `start()` starts it again on the same port and
   * data. Undefined with an external database.
   */
  postgres?: InfraControl & { stop(): Promise<void> };
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
    const agentToken = settleSecret(config.agentToken, agentTokenFile(config.dataDir)).token;
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
      const postgres = await KeptRunning.start('PostgreSQL', () => startEmbeddedPostgres(postgresOptions), log);
      stops.push(() => postgres.stop());
      databaseUrl = postgres.server.url;
      postgresControl = {
        stop: () => postgres.stop(),
        start: () => postgres.start(),
        crash: () => sendSignal(postgres.server.pid, 'SIGKILL'),
        restarts: () => postgres.restarts,
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
      const temporal = await KeptRunning.start(
        'the Temporal dev server',
        () => startTemporalServer(temporalOptions),
        log,
      );
      stops.push(() => temporal.stop());
      temporalAddress = temporal.server.address;
      temporalUiUrl = temporal.server.uiUrl;
      temporalControl = {
        kill: () => temporal.stop((server) => sendSignal(server.pid, 'SIGKILL')),
        start: () => temporal.start(),
        crash: () => sendSignal(temporal.server.pid, 'SIGKILL'),
        restarts: () => temporal.restarts,
      };
    }
    signal?.throwIfAborted();

    await prepareDatabase(databaseUrl, { adminToken: admin.token, agentToken, adminPassword: password });
    signal?.throwIfAborted();

    const apiUrl = apiBaseUrl(config);
    if (!options.infraOnly) {
      const given = { ...process.env, ...options.env };
      // With QEMU as root, each compute host, the network node (its qdhcp namespaces hang off its
      // bridges) and the storage node (tgtd's portal on the underlay) are machines on a fabric.
      const storageNode = config.storageBackend === 'tgt';
      const names = [...options.agents, 'network', ...(storageNode ? ['storage'] : [])];
      const machines = await startMachines({ ...config, prefix: config.netnsPrefix, agents: names });
      if (machines) log.info({ fabric: machines.fabric.netns }, 'each host runs in its own network namespace');
      if (machines && options.removeMachines) {
        stops.push(() => machines.fabric.destroy());
        // Before the machines go: dnsmasq keeps a qdhcp namespace alive, and those are not the prefix's.
        stops.push(() => removeAllDhcp(dhcpStateDir(config)));
      }
      const env = {
        ...given,
        ...appEnvironment(config, { databaseUrl, temporalAddress, adminToken: admin.token, agentToken }),
        ...(await storageNodeWiring(config, given, machines?.env.storage)),
        NIMBUS_ADMIN_PASSWORD: password,
      };
      addApps(supervisor, {
        agents: options.agents,
        appsDir,
        env,
        machineEnv: machines?.env ?? {},
        storageNode,
        nodeArgs: options.nodeArgs,
      });
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
      agentToken,
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
