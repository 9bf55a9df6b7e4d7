import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before } from 'node:test';
import { loadConfig, nodeDir } from '../../core/config.js';
import { buildGuestImage, guestImageCacheDir } from '../../core/hypervisor/guest-image/build-guest-image.js';
import { GUEST_READY_MARKER } from '../../core/hypervisor/guest-image/guest-init.js';
import { qemuPidsOf } from './qemu-processes.js';
import type { TestStack } from './stack.js';
import { useStack, type UsedStack } from './use-stack.js';

/**
 * Building blocks of the e2e tests with real guests (test/e2e/qemu-*.test.ts): skip without
 * QEMU (fail under CI=true), the guest image through the image API, the guest's console
 * marker, and killing every guest a test made, whatever failed (QEMU is daemonized and
 * outlives the agent and the stack).
 */

export const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;

/** `describe`'s skip: only outside CI, where the packages may be missing. */
export const qemuSkip = !hasQemu && process.env.CI !== 'true' ? 'qemu-system-x86_64 is not installed' : false;

export function assertQemuForCi(): void {
  assert.ok(hasQemu, 'CI=true: the real-VM tests need qemu-system-x86_64 (.ci/run installs it)');
}

/** Uploads the bootable guest image (built once per checkout) as `name`, like any image. */
export async function uploadGuestImage(stack: TestStack, name: string): Promise<void> {
  const image = await buildGuestImage({ cacheDir: guestImageCacheDir(loadConfig().dataDir) });
  const created = await stack.api('POST', '/v1/images', { name });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const put = await stack.api('PUT', `/v1/images/${created.body.id}/file`, await readFile(image.path), {
    headers: { 'content-type': 'application/octet-stream', 'x-image-sha256': image.sha256 },
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
}

/** A build of `image` (no volume) through the API; returns the instance id. */
export async function createGuest(stack: TestStack, name: string, image: string): Promise<string> {
  const res = await stack.api('POST', '/v1/instances', { name, flavor: 'm1.tiny', image, network: 'default' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.id;
}

/** The instance's folder on its QEMU node (record, pidfile, console, overlay). */
export function instanceDir(stack: TestStack, host: string, id: string): string {
  return path.join(nodeDir(stack, host), 'qemu', 'instances', id);
}

/**
 * GET of the guest's HTTP endpoint (`/nimbus/info/`, `/nimbus/ping/?addr=…`) through its
 * management NIC: port 80 forwarded to 127.0.0.1 of the host's machine namespace when the
 * stack made machines (`<prefix><host>`), else of this one. Null while the guest does not answer.
 */
export async function guestGet<T = any>(
  stack: TestStack,
  host: string,
  id: string,
  urlPath: string,
): Promise<T | null> {
  const res = await guestFetch(stack, host, id, urlPath);
  if (res?.status !== 200) return null;
  try {
    return JSON.parse(res.body) as T;
  } catch {
    return null;
  }
}

/**
 * GET of the guest's test endpoint (its port 80, forwarded to 127.0.0.1 by user-mode networking,
 * inside its host's namespace when the host is a machine): the status and body, null when
 * nothing answered.
 */
export async function guestFetch(
  stack: TestStack,
  host: string,
  id: string,
  urlPath: string,
): Promise<{ status: number; body: string } | null> {
  const record = JSON.parse(await readFile(path.join(instanceDir(stack, host, id), 'domain.json'), 'utf8'));
  const url = `http://127.0.0.1:${record.httpForwardPort}${urlPath}`;
  const netns = stack.config.netnsPrefix + host;
  const inNetns = spawnSync('ip', ['netns', 'exec', netns, 'true']).status === 0;
  const curl = ['curl', '-s', '--max-time', '15', '-w', '\n%{http_code}', url];
  try {
    const { stdout } = await promisify(execFile)(
      inNetns ? 'ip' : curl[0],
      inNetns ? ['netns', 'exec', netns, ...curl] : curl.slice(1),
    );
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  } catch {
    return null;
  }
}

export async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null)) !== null;
}

/** How many times the guest printed its ready marker, read through the API's console (the host's queue). */
export async function markerCount(stack: TestStack, id: string): Promise<number> {
  const res = await stack.api('GET', `/v1/instances/${id}/console?lines=1000`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return String(res.body.output).split(`${GUEST_READY_MARKER} instance=${id}`).length - 1;
}

/** SIGKILLs every QEMU of these instances (for after(): a failed test must not leave guests running). */
export async function killGuests(ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    for (const pid of await qemuPidsOf(id)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * A stack whose agents run the QEMU driver, with its database and Temporal connections, for
 * one describe(): it fails under CI=true without QEMU, and every guest named in `guests` is
 * killed before the stack stops (after hooks run in the order declared).
 */
export function useQemuStack(agents: string[], env: Record<string, string>): UsedStack & { guests: string[] } {
  before(assertQemuForCi);
  const guests: string[] = [];
  after(async () => killGuests(guests));
  const used = useStack({ agents, env: { ...env, NIMBUS_HYPERVISOR: 'qemu' }, db: true, client: true });
  return { ...used, guests };
}
