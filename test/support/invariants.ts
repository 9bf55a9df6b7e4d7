import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { dhcpStateDir, nodeDir, type NimbusConfig } from '../../core/config.js';
import { readServedNetworks } from '../../core/network/dhcp/linux-dhcp-driver.js';
import { createDataSource } from '../../core/db/data-source.js';
import { isAtomicTempFile } from '../../core/images/atomic-write.js';
import { checkInvariants, type Violation } from '../../core/invariants/check-invariants.js';
import { TgtVolumeBackend } from '../../core/storage/backends/tgt/tgt-backend.js';
import { Tgtadm } from '../../core/storage/backends/tgt/tgtadm.js';
import { TGTD_ABOUT_FILE } from '../../core/storage/backends/tgt/tgtd.js';
import { listProcesses, qemuByHost, qemuGuestsOf } from './qemu-processes.js';
import type { TestStack } from './stack.js';
import { ipRunner, listNetns } from '../../core/network/linux/ip.js';
import { hostVifDevices } from '../../core/network/vif/linuxbridge-vif-driver.js';

/**
 * The leak checker for end-to-end tests: the database checks plus every node's domains,
 * read from the fake hypervisor's files (`<dataDir>/nodes/<host>/domains/<id>.json`) and the
 * QEMU driver's instance folders (`<dataDir>/nodes/<host>/qemu/instances/<id>/`), and the
 * QEMU hosts' guest processes (qemu-processes.ts), which only a test on the same machine can see.
 */

/** Every node's domains (fake files and QEMU instance folders): host → instance ids, for each node directory. */
export async function readDomains(dataDir: string): Promise<Map<string, string[]>> {
  const nodes = path.join(dataDir, 'nodes');
  const byHost = new Map<string, string[]>();
  let hosts: string[];
  try {
    hosts = await readdir(nodes);
  } catch {
    return byHost;
  }
  for (const host of hosts.sort()) {
    // A node that never spawned has no domains folder: it has no domains; a fake node has no qemu folder.
    const files = await readdir(path.join(nodeDir({ dataDir }, host), 'domains')).catch(() => [] as string[]);
    const qemu = await readdir(qemuInstancesDir(dataDir, host)).catch(() => [] as string[]);
    byHost.set(
      host,
      [
        ...files.filter((f) => f.endsWith('.json') && !isAtomicTempFile(f)).map((f) => f.slice(0, -'.json'.length)),
        ...qemu,
      ].sort(),
    );
  }
  return byHost;
}

function qemuInstancesDir(dataDir: string, host: string): string {
  return path.join(nodeDir({ dataDir }, host), 'qemu', 'instances');
}

/** Host → instance ids with a running QEMU of this stack, for every host whose node has a `qemu/` folder. */
export async function readQemuGuests(dataDir: string): Promise<Map<string, string[]>> {
  const hosts = await readdir(path.join(dataDir, 'nodes')).catch(() => [] as string[]);
  const qemuHosts: string[] = [];
  for (const host of hosts) {
    if (await stat(path.join(nodeDir({ dataDir }, host), 'qemu')).catch(() => null)) qemuHosts.push(host);
  }
  return qemuByHost(qemuGuestsOf(await listProcesses(), dataDir), qemuHosts);
}

/** A small connection of the test's own to the stack's database. */
export function connectToStackDb(stack: TestStack): Promise<DataSource> {
  return createDataSource(stack.databaseUrl, { poolSize: 3, applicationName: 'nimbus-e2e-checker' }).initialize();
}

/** Host → its bridges and taps, for each host that is a machine (a namespace `<prefix><host>`) of this stack. */
export async function readVifDevices(stack: TestStack): Promise<Map<string, Record<string, string[]>>> {
  const prefix = stack.config.netnsPrefix;
  const hosts = (await readdir(path.join(stack.dataDir, 'nodes')).catch(() => [] as string[])).sort();
  const namespaces = new Set(await listNetns().catch(() => [] as string[]));
  const byHost = new Map<string, Record<string, string[]>>();
  for (const host of hosts) {
    if (namespaces.has(prefix + host)) byHost.set(host, await hostVifDevices(ipRunner(prefix + host)));
  }
  return byHost;
}

export async function violations(stack: TestStack, db: DataSource): Promise<Violation[]> {
  const [domainsByHost, qemuGuests] = [await readDomains(stack.dataDir), await readQemuGuests(stack.dataDir)];
  const vifDevicesByHost = await readVifDevices(stack);
  // The network node's DHCP as its state dir records it (the fake data plane keeps none).
  const dhcp = {
    served: await readServedNetworks(dhcpStateDir(stack.config)),
    namespaces: new Set(await listNetns().catch(() => [] as string[])),
  };
  const storage = await readStorage(stack.config);
  return checkInvariants(db, { domainsByHost, qemuByHost: qemuGuests, vifDevicesByHost, dhcp, storage });
}

/**
 * Resolves once nothing leaked. "Once", because a host's leftovers an undo could not reach
 * are its reconciliation's job (at most NIMBUS_RECONCILE_INTERVAL later); fails with the
 * violations still there after `timeoutMs`.
 */
export async function waitUntilClean(stack: TestStack, db: DataSource, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let found: Violation[] = [];
  while (Date.now() < deadline) {
    found = await violations(stack, db);
    if (found.length === 0) return;
    await sleep(250);
  }
  throw new Error(`leaks after ${timeoutMs} ms:\n${found.map((v) => `  ${v.kind} ${v.id}: ${v.detail}`).join('\n')}`);
}

/** Instances still building: at the end of a test there must be none. */
export async function buildingInstances(db: DataSource): Promise<string[]> {
  const rows: Array<{ id: string; task_state: string | null }> = await db.query(
    `SELECT id, task_state FROM instances WHERE status = 'BUILD'`,
  );
  return rows.map((r) => `${r.id} (${r.task_state})`);
}

/** The instance's action log: steps that ran and undos, in order, as `step@host:outcome`. */
export async function actionLog(db: DataSource, instanceId: string): Promise<string[]> {
  const rows: Array<{ step: string; host: string | null; outcome: string }> = await db.query(
    `SELECT step, host, outcome FROM instance_actions
     WHERE instance_id = $1 ORDER BY started_at, finished_at NULLS LAST`,
    [instanceId],
  );
  return rows.map((r) => `${r.step}${r.host ? `@${r.host}` : ''}:${r.outcome}`);
}

/**
 * The storage node's targets and pool files (by volume id), when the stack runs one: it
 * says where its tgtd answers in <pool dir>/tgtd.json.
 */
export async function readStorage(
  config: Pick<NimbusConfig, 'storagePoolDir'>,
): Promise<{ targets: string[]; files: string[] } | undefined> {
  const about = await readFile(path.join(config.storagePoolDir, TGTD_ABOUT_FILE), 'utf8').catch(() => null);
  if (about === null) return undefined;
  const { controlPort, portal } = JSON.parse(about) as { controlPort: number; portal: string };
  return new TgtVolumeBackend(new Tgtadm(controlPort), config.storagePoolDir, portal).inventory();
}
