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

import type { EnvVar } from './env-vars.js';

export { ENV_VARS, type EnvVar } from './env-vars.js';

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
  /** The compute agents' service credential (scope image:read): NIMBUS_AGENT_TOKEN, else the data dir's agent-token. */
  agentToken?: string;
  adminPassword?: string;
  region: string;
  tokenTtlSec: number;
  /** How long a native project token (POST /v1/projects/ID/tokens) lives at most. */
  apiTokenTtlSec: number;
  serviceDownTimeSec: number;
  heartbeatIntervalSec: number;
  /** Unset: the workflows' own default (DEFAULT_HOST_PICKUP_TIMEOUT_SEC) applies. */
  hostPickupTimeoutSec?: number;
  /** Unset: each host step's own start-to-close (workflows/activity-options.ts). */
  hostStepTimeoutSec?: number;
  /** Unset: DEFAULT_HOST_HEARTBEAT_TIMEOUT_SEC. */
  hostHeartbeatTimeoutSec?: number;
  reconcileIntervalSec: number;
  /** Seconds between the controller's cleanup repair passes (instances left CleanupIncomplete). */
  cleanupRepairIntervalSec: number;
  schedulerWeigher: Weigher;
  schedulerHostSubsetSize: number;
  /** Unset: Math.random. */
  schedulerSeed?: number;
  /** NIMBUS_HYPERVISOR: the compute agents' driver (core/hypervisor/driver-factory.ts). */
  hypervisor: HypervisorType;
  hypervisorDelayMs: number;
  /** Unset: 2 when the driver runs on TCG, else 8 (apps/compute-agent/spawn-limit.ts). */
  maxConcurrentBuilds?: number;
  guestBootTimeoutSec: number;
  guestImageCache: string;
  seedImageFile?: string;
  /** A node's image cache is trimmed to this after each pull; images in use always stay. */
  imageCacheMaxBytes: number;
  iscsiPortal: string;
  /** The dev stack's namespaces: `<prefix><host>` per machine (devstack/fabric.ts). */
  netnsPrefix: string;
  storageBackend: 'fake' | 'tgt';
  tgtControlPort: number;
  storageNetns?: string;
  storagePoolDir: string;
  logLevel: string;
  apiRateLimit: number;
  imageMaxBytes: number;
  uploadIdleTimeoutSec: number;
  /** Unset: /metrics needs no token. */
  metricsToken?: string;
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

function wholePositive(env: Env, name: EnvVar): number {
  const value = Number(env[name]);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name}=${env[name]} must be a positive integer`);
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
    adminToken: env.NIMBUS_ADMIN_TOKEN || readSecretFile(adminTokenFile(dataDir)),
    agentToken: env.NIMBUS_AGENT_TOKEN || readSecretFile(agentTokenFile(dataDir)),
    adminPassword: env.NIMBUS_ADMIN_PASSWORD || readSecretFile(adminPasswordFile(dataDir)),
    region: env.NIMBUS_REGION || 'RegionOne',
    tokenTtlSec: positive(env, 'NIMBUS_TOKEN_TTL', 3600),
    apiTokenTtlSec: positive(env, 'NIMBUS_API_TOKEN_TTL', 30 * 24 * 3600),
    serviceDownTimeSec: positive(env, 'NIMBUS_SERVICE_DOWN_TIME', 30),
    heartbeatIntervalSec: positive(env, 'NIMBUS_HEARTBEAT_INTERVAL', 5),
    hostPickupTimeoutSec: env.NIMBUS_HOST_PICKUP_TIMEOUT ? positive(env, 'NIMBUS_HOST_PICKUP_TIMEOUT', 0) : undefined,
    hostStepTimeoutSec: env.NIMBUS_HOST_STEP_TIMEOUT ? positive(env, 'NIMBUS_HOST_STEP_TIMEOUT', 0) : undefined,
    hostHeartbeatTimeoutSec: env.NIMBUS_HOST_HEARTBEAT_TIMEOUT
      ? positive(env, 'NIMBUS_HOST_HEARTBEAT_TIMEOUT', 0)
      : undefined,
    reconcileIntervalSec: positive(env, 'NIMBUS_RECONCILE_INTERVAL', 60),
    cleanupRepairIntervalSec: positive(env, 'NIMBUS_CLEANUP_REPAIR_INTERVAL', 60),
    schedulerWeigher: weigher(env),
    schedulerHostSubsetSize: env.NIMBUS_SCHEDULER_HOST_SUBSET_SIZE
      ? wholePositive(env, 'NIMBUS_SCHEDULER_HOST_SUBSET_SIZE')
      : 3,
    schedulerSeed: env.NIMBUS_SCHEDULER_SEED
      ? positive(env, 'NIMBUS_SCHEDULER_SEED', 0, { allowZero: true })
      : undefined,
    hypervisor: hypervisor(env),
    hypervisorDelayMs: positive(env, 'NIMBUS_HYPERVISOR_DELAY_MS', 200, { allowZero: true }),
    maxConcurrentBuilds: env.NIMBUS_MAX_CONCURRENT_BUILDS
      ? wholePositive(env, 'NIMBUS_MAX_CONCURRENT_BUILDS')
      : undefined,
    guestBootTimeoutSec: positive(env, 'NIMBUS_GUEST_BOOT_TIMEOUT', 60),
    guestImageCache: path.resolve(REPO_ROOT, env.NIMBUS_GUEST_IMAGE_CACHE || path.join('.nimbus', 'guest-image')),
    seedImageFile: env.NIMBUS_SEED_IMAGE_FILE || undefined,
    imageCacheMaxBytes: wholeBytes(env, 'NIMBUS_IMAGE_CACHE_MAX_BYTES', DEFAULT_IMAGE_CACHE_MAX_BYTES),
    iscsiPortal: env.NIMBUS_ISCSI_PORTAL || '127.0.0.1:3260',
    netnsPrefix: env.NIMBUS_NETNS_PREFIX || 'nimbus-',
    ...storage(env, dataDir),
    logLevel,
    apiRateLimit: positive(env, 'NIMBUS_API_RATE_LIMIT', 100, { allowZero: true }),
    metricsToken: env.NIMBUS_METRICS_TOKEN || undefined,
    imageMaxBytes: positive(env, 'NIMBUS_IMAGE_MAX_BYTES', 20 * 1024 ** 3),
    uploadIdleTimeoutSec: positive(env, 'NIMBUS_UPLOAD_IDLE_TIMEOUT', 60),
  };
}

type StorageConfig = Pick<NimbusConfig, 'storageBackend' | 'tgtControlPort' | 'storageNetns' | 'storagePoolDir'>;

function storage(env: Env, dataDir: string): StorageConfig {
  const raw = env.NIMBUS_STORAGE_BACKEND || (hypervisor(env) === 'qemu' ? 'tgt' : 'fake');
  const backend = raw === 'tgt' ? 'tgt' : raw === 'fake' ? 'fake' : null;
  if (!backend) throw new ConfigError(`NIMBUS_STORAGE_BACKEND=${raw} is not a volume backend (fake or tgt)`);
  const control = Number(env.NIMBUS_TGT_CONTROL_PORT || 3260);
  if (!Number.isInteger(control) || control < 0 || control > 32767) {
    throw new ConfigError(
      `NIMBUS_TGT_CONTROL_PORT=${env.NIMBUS_TGT_CONTROL_PORT} is not a tgtd control port (0-32767)`,
    );
  }
  return {
    storageBackend: backend,
    tgtControlPort: control,
    storageNetns: env.NIMBUS_STORAGE_NETNS || undefined,
    storagePoolDir: path.resolve(env.NIMBUS_STORAGE_POOL_DIR || path.join(dataDir, 'storage')),
  };
}

export function adminTokenFile(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

export function agentTokenFile(dataDir: string): string {
  return path.join(dataDir, 'agent-token');
}

export function adminPasswordFile(dataDir: string): string {
  return path.join(dataDir, 'admin-password');
}

function readSecretFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The network node's DHCP state: a folder per network it serves (core/network/dhcp/). */
export function dhcpStateDir(config: Pick<NimbusConfig, 'dataDir'>): string {
  return path.join(config.dataDir, 'network-node', 'dhcp');
}

/** Per-node state (image cache, domains) of one compute host. */
export function nodeDir(config: Pick<NimbusConfig, 'dataDir'>, host: string): string {
  return path.join(config.dataDir, 'nodes', host);
}

/** The compute host's ledger of the room it has promised (core/scheduling/host-ledger.ts). */
export function hostLedgerFile(config: Pick<NimbusConfig, 'dataDir'>, host: string): string {
  return path.join(nodeDir(config, host), 'claims-ledger.json');
}
