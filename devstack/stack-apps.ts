/**
 * The dev stack's apps as the supervisor runs them: what each is told (appEnvironment), the
 * command of each, and the wait for the API to answer.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, type NimbusConfig } from '../core/config.js';
import type { Supervisor } from './supervisor.js';

/** What every app is told, so each one sees exactly the stack this launcher started. */
export function appEnvironment(
  config: NimbusConfig,
  wiring: { databaseUrl: string; temporalAddress: string; adminToken: string; agentToken: string },
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
    NIMBUS_AGENT_TOKEN: wiring.agentToken,
    NIMBUS_SERVICE_DOWN_TIME: String(config.serviceDownTimeSec),
    NIMBUS_HEARTBEAT_INTERVAL: String(config.heartbeatIntervalSec),
    NIMBUS_HYPERVISOR_DELAY_MS: String(config.hypervisorDelayMs),
    NIMBUS_ISCSI_PORTAL: config.iscsiPortal,
    NIMBUS_NETNS_PREFIX: config.netnsPrefix,
    NIMBUS_STORAGE_BACKEND: config.storageBackend,
    NIMBUS_TGT_CONTROL_PORT: String(config.tgtControlPort),
    NIMBUS_STORAGE_POOL_DIR: config.storagePoolDir,
    ...(config.storageNetns ? { NIMBUS_STORAGE_NETNS: config.storageNetns } : {}),
    NIMBUS_LOG_LEVEL: config.logLevel,
  };
}

function appCommand(appsDir: string, env: NodeJS.ProcessEnv, nodeArgs: string[], app: string, ...args: string[]) {
  return {
    command: process.execPath,
    args: ['--enable-source-maps', ...nodeArgs, path.join(appsDir, app, 'main.js'), ...args],
    env,
    cwd: REPO_ROOT,
  };
}

/**
 * The API, the controller, a compute agent per host, the network node and (with tgt) the
 * storage node; a machine's own environment (its namespace, uplink, underlay address) goes
 * to the app that runs on it.
 */
export function addApps(
  supervisor: Supervisor,
  apps: {
    agents: string[];
    appsDir: string;
    env: NodeJS.ProcessEnv;
    machineEnv: Record<string, Record<string, string>>;
    storageNode: boolean;
    /** Extra Node options per app (`api`, `controller`, …), before its script. */
    nodeArgs?: Record<string, string[]>;
  },
): void {
  const { env, machineEnv } = apps;
  const appCommandOf = (e: NodeJS.ProcessEnv, app: string, ...args: string[]) =>
    appCommand(apps.appsDir, e, apps.nodeArgs?.[app] ?? [], app, ...args);
  // Host-side apps get no admin secrets (the agents download images with their image:read
  // credential) and no database: they reach the control plane through Temporal only.
  const {
    NIMBUS_ADMIN_TOKEN: _token,
    NIMBUS_ADMIN_PASSWORD: _password,
    DATABASE_URL: _database,
    NIMBUS_PG_PORT: _pgPort,
    ...hostEnv
  } = env;
  const on = (machine: string) => ({ ...hostEnv, ...machineEnv[machine] });
  supervisor.add({ name: 'api', ...appCommandOf(env, 'api') });
  supervisor.add({ name: 'controller', ...appCommandOf(env, 'controller') });
  for (const host of apps.agents) {
    supervisor.add({ name: host, ...appCommandOf(on(host), 'compute-agent', '--host', host) });
  }
  supervisor.add({ name: 'network-node', ...appCommandOf(on('network'), 'network-node') });
  if (apps.storageNode) supervisor.add({ name: 'storage-node', ...appCommandOf(hostEnv, 'storage-node') });
}

/** Resolves once GET /healthz answers 200; fails with the API's last output otherwise. */
export async function waitForHealth(
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
