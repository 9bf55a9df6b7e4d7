import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { DEFAULT_APPS_DIR } from '../devstack/stack.js';
import { appEnvironment } from '../devstack/stack-apps.js';
import type { TestStack } from '../test/support/stack.js';

/**
 * The simulated hosts of a scale run (apps/compute-agent/simulated-hosts.ts) as one more
 * child of the stack's supervisor, so the stack stops it with the apps and CPU snapshots
 * name it. A fleet is sized in m1.tiny slots (512 MB RAM each): `slots` spread as evenly as
 * the hosts allow, RAM the binding resource, vCPU and disk with room to spare.
 */

export const FLEET = 'simulated-hosts';
export const TINY_RAM_MB = 512;

export interface FleetPlan {
  hosts: number;
  /** m1.tiny builds the whole fleet holds. */
  slots: number;
  prefix: string;
  pollersPerHost: number;
}

export interface FleetStarted {
  /** Spawn to every host up in PostgreSQL (workers polling before a host registers). */
  readyMs: number;
  /** Resident memory of the fleet process once ready. */
  rssMb: number | null;
}

/** Per-host capacities as the app's cycled lists: `base` slots everywhere, one more on the first `extra` hosts. */
export function capacityArgs(plan: FleetPlan): string[] {
  const base = Math.floor(plan.slots / plan.hosts);
  const extra = plan.slots % plan.hosts;
  if (base < 1) throw new Error(`${plan.slots} slots cannot fill ${plan.hosts} hosts: give each host one at least`);
  // The app cycles lists with the host index, so a list of `hosts / gcd` entries is enough; a full one is simplest.
  const perHost = Array.from({ length: extra === 0 ? 1 : plan.hosts }, (_, i) => base + (i < extra ? 1 : 0));
  return [
    '--ram-mb',
    perHost.map((s) => s * TINY_RAM_MB).join(','),
    '--vcpus',
    perHost.map((s) => Math.max(1, Math.ceil(s / 2))).join(','), // × 4.0: twice the vCPUs the RAM allows
    '--disk-gb',
    perHost.map((s) => s * 10).join(','),
  ];
}

export async function startFleet(stack: TestStack, db: DataSource, plan: FleetPlan): Promise<FleetStarted> {
  // As the dev stack's agents: the image:read credential, no admin secrets.
  const {
    NIMBUS_ADMIN_TOKEN: _token,
    NIMBUS_ADMIN_PASSWORD: _password,
    ...env
  } = {
    ...process.env,
    ...appEnvironment(stack.config, {
      databaseUrl: stack.databaseUrl,
      temporalAddress: stack.temporalAddress,
      adminToken: stack.adminToken,
      agentToken: stack.agentToken,
    }),
  };
  const args = [
    '--enable-source-maps',
    path.join(DEFAULT_APPS_DIR, 'compute-agent', 'simulated-hosts.js'),
    '--count',
    String(plan.hosts),
    '--prefix',
    plan.prefix,
    '--pollers',
    String(plan.pollersPerHost),
    ...capacityArgs(plan),
  ];
  const t0 = performance.now();
  stack.supervisor.add({ name: FLEET, command: process.execPath, args, env, restart: false });
  stack.supervisor.startChild(FLEET);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const [{ up }] = await db.query(
      `SELECT count(*)::int AS up FROM hosts
        WHERE name LIKE $1 AND last_heartbeat_at > now() - make_interval(secs => $2)`,
      [`${plan.prefix}%`, stack.config.serviceDownTimeSec],
    );
    if (up === plan.hosts) break;
    if (!stack.supervisor.isRunning(FLEET) || Date.now() > deadline) {
      const output = stack.supervisor.recentOutput(FLEET, 30).join('\n');
      throw new Error(`the simulated hosts did not come up (${up}/${plan.hosts} up); their output:\n${output}`);
    }
    await sleep(200);
  }
  return { readyMs: Math.round(performance.now() - t0), rssMb: rssMb(stack.supervisor.pid(FLEET)) };
}

export function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}
