import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DriverCodes } from '../../../contracts/errors.js';
import { DomainError } from '../../errors.js';

const run = promisify(execFile);

/**
 * iproute2 as the host-side network code uses it: `ip` run with execFile (no shell), inside
 * a network namespace when one is given (`ip -n NS ...`, a machine of the dev stack), else in
 * the process's own (a production host). A failure is a DomainError `HostNetworkFailed`
 * quoting iproute2's complaint.
 *
 *   const ip = ipRunner('nimbus-node-1');
 *   await ip.run(['link', 'add', 'brq123', 'type', 'bridge']);
 *   const links = await ip.json<IpLink[]>(['link', 'show']);
 */

export interface IpLink {
  ifname: string;
  /** The bridge this link is a port of. */
  master?: string;
  link_type?: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

export interface IpRunner {
  /** The namespace the commands run in; null for the process's own. */
  readonly netns: string | null;
  /** Runs `ip [-n NS] ARGS`; resolves with its stdout. */
  run(args: string[], opts?: { signal?: AbortSignal }): Promise<string>;
  /** Runs `ip [-n NS] -j [-d] ARGS` and parses the JSON (an empty answer is []). */
  json<T>(args: string[], opts?: { signal?: AbortSignal; details?: boolean }): Promise<T>;
  /** The links of the namespace (`ip -d link show`), with their kind in `linkinfo.info_kind`. */
  links(opts?: { signal?: AbortSignal }): Promise<IpLink[]>;
  /** The link, or null when there is none by that name. */
  link(name: string, opts?: { signal?: AbortSignal }): Promise<IpLink | null>;
}

export const IP_BINARY = 'ip';

/** `ip` commands return in milliseconds; one that hangs is a broken host, not a slow one. */
const IP_TIMEOUT_MS = 30_000;

export function ipRunner(netns?: string | null): IpRunner {
  const prefix = netns ? ['-n', netns] : [];
  const runner: IpRunner = {
    netns: netns ?? null,
    async run(args, opts = {}) {
      try {
        const { stdout } = await run(IP_BINARY, [...prefix, ...args], { signal: opts.signal, timeout: IP_TIMEOUT_MS });
        return stdout;
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        throw ipFailed([...prefix, ...args], err);
      }
    },
    async json<T>(args: string[], opts: { signal?: AbortSignal; details?: boolean } = {}) {
      const out = await runner.run(['-j', ...(opts.details ? ['-d'] : []), ...args], opts);
      return (out.trim() ? JSON.parse(out) : []) as T;
    },
    links: (opts = {}) => runner.json<IpLink[]>(['link', 'show'], { ...opts, details: true }),
    async link(name, opts = {}) {
      try {
        const [found] = await runner.json<IpLink[]>(['link', 'show', 'dev', name], { ...opts, details: true });
        return found ?? null;
      } catch (err) {
        if (isMissingDevice(err)) return null;
        throw err;
      }
    },
  };
  return runner;
}

/** iproute2's words for "no such device" (a link that is not there). */
export function isMissingDevice(err: unknown): boolean {
  return /does not exist|Cannot find device|No such device/i.test((err as Error)?.message ?? '');
}

/** iproute2's words for "already there" (a create raced by another one, or a retry). */
export function isAlreadyThere(err: unknown): boolean {
  return /File exists|already exists/i.test((err as Error)?.message ?? '');
}

function ipFailed(args: string[], err: unknown): DomainError {
  const e = err as { stderr?: string; message: string; code?: unknown };
  const why = (e.stderr ?? '').trim() || e.message;
  return new DomainError(DriverCodes.HostNetworkFailed, `ip ${args.join(' ')}: ${why}`, { args });
}

/** Namespaces on this machine (`ip netns list`), by name. */
export async function listNetns(): Promise<string[]> {
  const list = await ipRunner().json<Array<{ name: string }>>(['netns', 'list']);
  return list.map((n) => n.name);
}

/** Makes the namespace with its loopback up; an existing one is kept as it is. */
export async function ensureNetns(name: string): Promise<IpRunner> {
  if (!(await listNetns()).includes(name)) {
    await ipRunner()
      .run(['netns', 'add', name])
      .catch((err) => {
        if (!isAlreadyThere(err)) throw err;
      });
  }
  const ip = ipRunner(name);
  await ip.run(['link', 'set', 'lo', 'up']);
  return ip;
}

/** Deletes the namespace (and every device in it); a missing one is a no-op. */
export async function removeNetns(name: string): Promise<void> {
  if (!(await listNetns()).includes(name)) return;
  await ipRunner()
    .run(['netns', 'delete', name])
    .catch((err) => {
      if (!/No such file/i.test((err as Error).message)) throw err;
    });
}

/** The first IPv4 address of a device, or null when it has none. */
export async function firstIpv4(ip: IpRunner, dev: string): Promise<string | null> {
  const [info] = await ip.json<Array<{ addr_info?: Array<{ family: string; local: string }> }>>(['addr', 'show', dev]);
  return info?.addr_info?.find((a) => a.family === 'inet')?.local ?? null;
}
