import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { ENV_VARS, loadConfig, type EnvVar, type NimbusConfig } from '../../core/config.js';
import { listNetns, removeNetns } from '../../core/network/linux/ip.js';
import { guardChildrenOnSignals } from '../../devstack/exit-guard.js';
import { removeStaleDhcp } from './stale-dhcp.js';
import { OutputTail } from '../../devstack/processes.js';
import { startStack, type StackHandle } from '../../devstack/stack.js';
import { freePorts } from './free-port.js';

/**
 * The real stack for end-to-end tests: embedded PostgreSQL, Temporal dev server and the apps,
 * in a fresh temporary folder on free ports, so tests never touch `.nimbus/`, a fixed port or
 * a PostgreSQL the machine happens to run. Start it in `before`, stop it in `after`.
 */

export interface TestStackOptions {
  agents?: string[];
  /** Overrides for the stack and the apps, e.g. { NIMBUS_HYPERVISOR_DELAY_MS: '0' }. */
  env?: Record<string, string>;
  /** Print app output and stack logs to stderr as they come (default: keep them for logs()). */
  echo?: boolean;
  /** Wait until every agent's host reports `up` in GET /v1/hosts (default true). */
  waitForHosts?: boolean;
  readyTimeoutMs?: number;
  /** Stand-in app entry points (the devstack's own tests); default dist/apps. */
  appsDir?: string;
  /** Extra Node options per app, e.g. { controller: ['--cpu-prof', …] } (bench --cpu-prof). */
  nodeArgs?: Record<string, string[]>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the reply is JSON, the text otherwise, undefined when empty. */
  body: T;
}

export interface ApiRequestOptions {
  /** Bearer token; default the admin's; null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface TestStack extends StackHandle {
  config: NimbusConfig;
  api<T = any>(method: string, path: string, body?: unknown, options?: ApiRequestOptions): Promise<ApiResponse<T>>;
  /** Polls `predicate` until it returns a truthy value (which is returned) or time runs out. */
  waitFor<T>(predicate: () => T | Promise<T>, timeoutMs?: number, what?: string): Promise<NonNullable<T>>;
  /** The last lines of app output and stack logs, `[name] line`, for a failing test to print. */
  logs(lines?: number): string[];
}

/** Variables of the developer's shell that would tie a test stack to another stack. */
const INHERITED: ReadonlySet<EnvVar> = new Set(['TEMPORAL_CLI', 'NIMBUS_LOG_LEVEL']);

function baseEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  for (const name of Object.keys(ENV_VARS) as EnvVar[]) {
    if (!INHERITED.has(name)) delete env[name];
  }
  return env;
}

/** Hosts with room for every build, for tests of something other than the scheduler; instant hypervisor steps. */
export function roomyHosts(vcpus: number, ramMb: number, diskGb: number): Record<string, string> {
  return {
    NIMBUS_HOST_VCPUS: String(vcpus),
    NIMBUS_HOST_RAM_MB: String(ramMb),
    NIMBUS_HOST_DISK_GB: String(diskGb),
    NIMBUS_HYPERVISOR_DELAY_MS: '0',
  };
}

/** The machine namespaces a test stack names after its data dir (`nt<suffix>-…`). */
const testNetnsPrefix = (dataDir: string) => `nt${path.basename(dataDir).slice(-6)}-`;

/**
 * Namespaces of test stacks whose data dir is gone (a test file killed before its stack
 * stopped): removed, so runs on one machine do not pile them up. A running stack's stay.
 */
async function removeStaleMachines(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (const netns of await listNetns().catch(() => [] as string[])) {
    const suffix = /^nt([A-Za-z0-9]{6})-/.exec(netns)?.[1];
    if (suffix && !existsSync(path.join(os.tmpdir(), `nimbus-test-${suffix}`))) await removeNetns(netns);
  }
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const { agents = ['node-1', 'node-2', 'node-3'], echo = false } = options;
  // A test file killed by the runner must not leave servers behind.
  guardChildrenOnSignals();
  await removeStaleMachines();
  await removeStaleDhcp();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'nimbus-test-'));
  // As root, PostgreSQL runs as `postgres`, which must be able to enter this folder.
  chmodSync(dataDir, 0o755);

  const [apiPort, pgPort, temporalPort, uiPort] = await freePorts(4);
  const overrides: Record<string, string> = {
    NIMBUS_DATA_DIR: dataDir,
    NIMBUS_API_PORT: String(apiPort),
    NIMBUS_PG_PORT: String(pgPort),
    NIMBUS_TEMPORAL_PORT: String(temporalPort),
    NIMBUS_TEMPORAL_UI_PORT: String(uiPort),
    NIMBUS_HEARTBEAT_INTERVAL: '1',
    // A killed agent shows as down within seconds, not the production half minute.
    NIMBUS_SERVICE_DOWN_TIME: '5',
    // Tests and benchmarks send bursts on purpose; the limiter has its own unit test.
    NIMBUS_API_RATE_LIMIT: '0',
    // Tests that name the host a build lands on rely on the best host, ties broken by name;
    // the random choice among the best (host_subset_size) has its own unit test.
    NIMBUS_SCHEDULER_HOST_SUBSET_SIZE: '1',
    // Its own machines (network namespaces, with QEMU as root): never those of another stack.
    NIMBUS_NETNS_PREFIX: testNetnsPrefix(dataDir),
    ...options.env,
  };
  const config = loadConfig({ ...baseEnv(), ...overrides });

  const tail = new OutputTail(5000);
  const record = (line: string): void => {
    tail.push(line);
    if (echo) process.stderr.write(`${line}\n`);
  };
  const log = pino(
    { name: 'test-stack', level: echo ? 'info' : 'warn' },
    { write: (json: string) => record(`[stack] ${json.trimEnd()}`) },
  );

  let handle: StackHandle;
  try {
    handle = await startStack(config, {
      agents,
      log,
      env: overrides,
      appsDir: options.appsDir,
      nodeArgs: options.nodeArgs,
      output: (name, line) => record(`[${name}] ${line}`),
      durablePostgres: false,
      removeMachines: true,
      readyTimeoutMs: options.readyTimeoutMs,
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stack: TestStack = {
    ...handle,
    config,
    logs: (lines = 200) => tail.toArray(lines),
    api: (method, requestPath, body, requestOptions) => apiRequest(handle, method, requestPath, body, requestOptions),
    waitFor,
    stop: () =>
      (stopping ??= (async () => {
        try {
          await handle.stop();
        } finally {
          rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
        }
      })()),
  };

  if (agents.length > 0 && options.waitForHosts !== false) {
    try {
      await waitFor(
        async () => {
          const { status, body } = await stack.api<Array<{ name: string; status: string }>>('GET', '/v1/hosts');
          if (status !== 200 || !Array.isArray(body)) return false;
          return agents.every((host) => body.some((row) => row.name === host && row.status === 'up'));
        },
        60_000,
        `hosts ${agents.join(', ')} up in GET /v1/hosts`,
      );
    } catch (error) {
      const logs = stack.logs(60).join('\n');
      await stack.stop();
      throw new Error(`${(error as Error).message}\nLast stack output:\n${logs}`, { cause: error });
    }
  }
  return stack;
}

async function apiRequest<T>(
  handle: StackHandle,
  method: string,
  requestPath: string,
  body?: unknown,
  options: ApiRequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? handle.adminToken : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | Uint8Array | undefined;
  if (body instanceof Uint8Array || typeof body === 'string') {
    // Raw bytes or text as given (image uploads, deliberately malformed JSON).
    payload = body;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, options.headers);
  const response = await fetch(`${handle.apiUrl}${requestPath}`, { method, headers, body: payload });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  let parsed: unknown = text === '' ? undefined : text;
  if (text !== '' && /json/.test(type)) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await sleep(200);
  }
}
