import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HYPERVISOR_TYPES, type HypervisorType } from './hypervisor/driver.js';
import { WEIGHERS, type Weigher } from './scheduling/host-selector.js';

/** The checkout's root: two levels up from this file in source and in dist/. */
export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/**
 * Every environment variable a Nimbus process reads, with its meaning. The docker
 * compose check and the README table are tested against this list, so a variable
 * read anywhere else is a bug.
 */
export const ENV_VARS = {
  NIMBUS_DATA_DIR: 'state of the embedded stack: Postgres data, Temporal data file, node caches and domains',
  NIMBUS_API_PORT: 'REST, GraphQL, docs, health and metrics',
  NIMBUS_API_HOST: 'address the API binds to',
  NIMBUS_API_URL: 'where compute agents reach the image service',
  NIMBUS_TEMPORAL_PORT: 'embedded Temporal dev server frontend',
  NIMBUS_TEMPORAL_UI_PORT: 'embedded Temporal Web UI',
  NIMBUS_PG_PORT: 'embedded PostgreSQL',
  DATABASE_URL: 'an external PostgreSQL instead of the embedded one',
  TEMPORAL_ADDRESS: 'an external Temporal frontend instead of the embedded one',
  TEMPORAL_NAMESPACE: 'Temporal namespace',
  TEMPORAL_CLI: 'path of the Temporal CLI binary',
  NIMBUS_ADMIN_TOKEN: 'bearer token of the seeded admin',
  NIMBUS_SERVICE_DOWN_TIME: 'seconds without heartbeat after which a host is down',
  NIMBUS_HEARTBEAT_INTERVAL: 'seconds between compute agent heartbeats',
  NIMBUS_HOST_PICKUP_TIMEOUT:
    'seconds a host may take to pick up a build step before the build counts it dead and moves on (default 10)',
  NIMBUS_HOST_STEP_TIMEOUT:
    'seconds any host step (claim, pull, spawn, VIF, volume, and their undos) may run before it counts as hung; ' +
    'unset: each step its own (30 s to 10 min)',
  NIMBUS_HOST_HEARTBEAT_TIMEOUT:
    'seconds without a heartbeat from a running host step before its agent counts as crashed (default 20)',
  NIMBUS_RECONCILE_INTERVAL:
    "seconds between a compute agent's reconciliations of its domains with the database " +
    '(default 60; also once at start)',
  NIMBUS_SCHEDULER_WEIGHER:
    'how the scheduler ranks hosts with room: spread (most free RAM first, default) or pack (least)',
  NIMBUS_HOST: 'compute agent host name (same as --host)',
  NIMBUS_HOST_VCPUS: 'compute agent capacity: vCPUs',
  NIMBUS_HOST_RAM_MB: 'compute agent capacity: RAM in MB',
  NIMBUS_HOST_DISK_GB: 'compute agent capacity: disk in GB',
  NIMBUS_HYPERVISOR: 'compute agent: hypervisor driver (fake or qemu)',
  NIMBUS_HYPERVISOR_DELAY_MS: 'fake hypervisor: time each operation takes',
  NIMBUS_IMAGE_CACHE_MAX_BYTES: 'compute agent: bytes of images its node cache keeps before evicting unused ones (LRU)',
  NIMBUS_ISCSI_PORTAL: 'address:port the storage service exports iSCSI targets on',
  NIMBUS_API_RATE_LIMIT:
    'API requests a second per client (token or address), bursts of twice that; 0 turns the limit off',
  NIMBUS_LOG_LEVEL: 'log level (trace, debug, info, warn, error)',
} as const;

export type EnvVar = keyof typeof ENV_VARS;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface NimbusConfig {
  dataDir: string;
  apiHost: string;
  apiPort: number;
  apiUrl: string;
  temporalPort: number;
  temporalUiPort: number;
  pgPort: number;
  /** Set when DATABASE_URL was given: the embedded PostgreSQL is not started. */
  externalDatabaseUrl?: string;
  /** Where every process connects: DATABASE_URL or the embedded server. */
  databaseUrl: string;
  /** Set when TEMPORAL_ADDRESS was given: the embedded dev server is not started. */
  externalTemporalAddress?: string;
  temporalAddress: string;
  temporalNamespace: string;
  temporalCli?: string;
  adminToken?: string;
  serviceDownTimeSec: number;
  heartbeatIntervalSec: number;
  /** Unset: the workflows' own default (DEFAULT_HOST_PICKUP_TIMEOUT_SEC) applies. */
  hostPickupTimeoutSec?: number;
  /** Unset: each host step's own start-to-close (workflows/activity-options.ts). */
  hostStepTimeoutSec?: number;
  /** Unset: DEFAULT_HOST_HEARTBEAT_TIMEOUT_SEC. */
  hostHeartbeatTimeoutSec?: number;
  reconcileIntervalSec: number;
  schedulerWeigher: Weigher;
  /** NIMBUS_HYPERVISOR: the compute agents' driver (core/hypervisor/driver-factory.ts). */
  hypervisor: HypervisorType;
  hypervisorDelayMs: number;
  /** A node's image cache is trimmed to this after each pull; images in use always stay. */
  imageCacheMaxBytes: number;
  iscsiPortal: string;
  logLevel: string;
  apiRateLimit: number;
}

export const EMBEDDED_PG_USER = 'nimbus';
export const EMBEDDED_PG_PASSWORD = 'nimbus';
export const EMBEDDED_PG_DATABASE = 'nimbus';

type Env = Record<string, string | undefined>;

function port(env: Env, name: EnvVar, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ConfigError(`${name}=${raw} is not a TCP port (1-65535)`);
  }
  return value;
}

function positive(env: Env, name: EnvVar, fallback: number, { allowZero = false } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(`${name}=${raw} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

function weigher(env: Env): Weigher {
  const raw = env.NIMBUS_SCHEDULER_WEIGHER || 'spread';
  if (!(WEIGHERS as readonly string[]).includes(raw))
    throw new ConfigError(`NIMBUS_SCHEDULER_WEIGHER=${raw} must be one of ${WEIGHERS.join(', ')}`);
  return raw as Weigher;
}

function hypervisor(env: Env): HypervisorType {
  const raw = env.NIMBUS_HYPERVISOR || 'fake';
  if (!(HYPERVISOR_TYPES as readonly string[]).includes(raw)) {
    throw new ConfigError(`NIMBUS_HYPERVISOR=${raw} must be one of ${HYPERVISOR_TYPES.join(', ')}`);
  }
  return raw as HypervisorType;
}

/** 20 GiB: a few dozen cloud images, as a modest hypervisor's image cache would hold. */
export const DEFAULT_IMAGE_CACHE_MAX_BYTES = 20 * 1024 ** 3;

/** A byte count (0 allowed: keep only images in use). */
function wholeBytes(env: Env, name: EnvVar, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value))
    throw new ConfigError(`${name}=${raw} must be a whole number of bytes`);
  return value;
}

/** Reads and validates the configuration; a bad environment fails at boot, not mid-build. */
export function loadConfig(env: Env = process.env): NimbusConfig {
  const dataDir = path.resolve(REPO_ROOT, env.NIMBUS_DATA_DIR || '.nimbus');
  const apiPort = port(env, 'NIMBUS_API_PORT', 3000);
  const pgPort = port(env, 'NIMBUS_PG_PORT', 5433);
  const temporalPort = port(env, 'NIMBUS_TEMPORAL_PORT', 7233);
  const externalDatabaseUrl = env.DATABASE_URL || undefined;
  if (externalDatabaseUrl && !/^postgres(ql)?:\/\//.test(externalDatabaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  const externalTemporalAddress = env.TEMPORAL_ADDRESS || undefined;
  const logLevel = env.NIMBUS_LOG_LEVEL || 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new ConfigError(`NIMBUS_LOG_LEVEL=${logLevel} is not a log level`);
  }
  return {
    dataDir,
    apiHost: env.NIMBUS_API_HOST || '127.0.0.1',
    apiPort,
    apiUrl: (env.NIMBUS_API_URL || `http://127.0.0.1:${apiPort}`).replace(/\/$/, ''),
    temporalPort,
    temporalUiPort: port(env, 'NIMBUS_TEMPORAL_UI_PORT', 8233),
    pgPort,
    externalDatabaseUrl,
    databaseUrl:
      externalDatabaseUrl ??
      `postgres://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${pgPort}/${EMBEDDED_PG_DATABASE}`,
    externalTemporalAddress,
    temporalAddress: externalTemporalAddress ?? `127.0.0.1:${temporalPort}`,
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    temporalCli: env.TEMPORAL_CLI || undefined,
    adminToken: env.NIMBUS_ADMIN_TOKEN || readAdminTokenFile(dataDir),
    serviceDownTimeSec: positive(env, 'NIMBUS_SERVICE_DOWN_TIME', 30),
    heartbeatIntervalSec: positive(env, 'NIMBUS_HEARTBEAT_INTERVAL', 5),
    hostPickupTimeoutSec: env.NIMBUS_HOST_PICKUP_TIMEOUT ? positive(env, 'NIMBUS_HOST_PICKUP_TIMEOUT', 0) : undefined,
    hostStepTimeoutSec: env.NIMBUS_HOST_STEP_TIMEOUT ? positive(env, 'NIMBUS_HOST_STEP_TIMEOUT', 0) : undefined,
    hostHeartbeatTimeoutSec: env.NIMBUS_HOST_HEARTBEAT_TIMEOUT
      ? positive(env, 'NIMBUS_HOST_HEARTBEAT_TIMEOUT', 0)
      : undefined,
    reconcileIntervalSec: positive(env, 'NIMBUS_RECONCILE_INTERVAL', 60),
    schedulerWeigher: weigher(env),
    hypervisor: hypervisor(env),
    hypervisorDelayMs: positive(env, 'NIMBUS_HYPERVISOR_DELAY_MS', 200, { allowZero: true }),
    imageCacheMaxBytes: wholeBytes(env, 'NIMBUS_IMAGE_CACHE_MAX_BYTES', DEFAULT_IMAGE_CACHE_MAX_BYTES),
    iscsiPortal: env.NIMBUS_ISCSI_PORTAL || '127.0.0.1:3260',
    logLevel,
    apiRateLimit: positive(env, 'NIMBUS_API_RATE_LIMIT', 100, { allowZero: true }),
  };
}

export function adminTokenFile(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

function readAdminTokenFile(dataDir: string): string | undefined {
  try {
    return readFileSync(adminTokenFile(dataDir), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Per-node state (image cache, domains) of one compute host. */
export function nodeDir(config: Pick<NimbusConfig, 'dataDir'>, host: string): string {
  return path.join(config.dataDir, 'nodes', host);
}
