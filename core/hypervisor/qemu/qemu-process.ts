import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * QEMU processes as the driver sees them: started daemonized (so they outlive the agent,
 * as libvirt's guests outlive libvirtd), found again through their pidfile, and checked
 * against `/proc/<pid>/cmdline` so a recycled pid is never mistaken for a guest.
 */

export const QEMU_BINARY = 'qemu-system-x86_64';

/**
 * Starts QEMU with -daemonize: the command returns once QEMU set the machine up (or
 * failed to), with QEMU's complaints on stderr. With `netns`, QEMU runs inside that network
 * namespace (`ip netns exec`, the host's machine in the dev stack), where its taps are.
 */
export async function launchQemu(
  args: string[],
  opts: { qemu?: string; signal?: AbortSignal; netns?: string } = {},
): Promise<void> {
  const qemu = opts.qemu ?? QEMU_BINARY;
  const [command, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, qemu, ...args]] : [qemu, args];
  try {
    await run(command, argv, { signal: opts.signal, timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error((e.stderr ?? '').trim() || e.message, { cause: err });
  }
}

/** `qemu-img create -f qcow2 -b BASE -F raw OVERLAY [SIZE]`: ~10 ms, sparse. */
export async function createOverlay(
  base: string,
  overlay: string,
  sizeBytes?: number,
  signal?: AbortSignal,
): Promise<void> {
  const args = ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', overlay];
  if (sizeBytes !== undefined) args.push(String(sizeBytes));
  await run('qemu-img', args, { signal, timeout: 60_000 });
}

/** The pid in a pidfile if that process is the QEMU of this instance, else null. */
export async function livePid(pidfile: string, instanceId: string): Promise<number | null> {
  let pid: number;
  try {
    pid = Number((await readFile(pidfile, 'utf8')).trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1) return null;
  return (await isQemuOf(pid, instanceId)) ? pid : null;
}

export async function isQemuOf(pid: number, instanceId: string): Promise<boolean> {
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const at = argv.indexOf('-uuid');
    return at > 0 && argv[at + 1] === instanceId;
  } catch {
    return false; // no such process
  }
}

/** Waits until the process is gone; false when it outlived the timeout. */
export async function waitForExit(pid: number, instanceId: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isQemuOf(pid, instanceId)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** SIGKILL, then wait for the kernel to reap it (a zombie keeps /proc/<pid>/cmdline empty). */
export async function killQemu(pid: number, instanceId: string): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  await waitForExit(pid, instanceId, 5000);
}

/** The last `lines` lines of a console log ('' when there is none yet). */
export async function consoleTail(file: string, lines: number): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text
      .split(/\r?\n/)
      .filter((l, i, all) => l !== '' || i < all.length - 1)
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}

/** Resident memory of a process in KiB (VmRSS), or null. */
export async function rssKib(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The QEMU of this instance when its pidfile is lost (a crash between launch and pidfile): scans /proc. */
export async function findQemuByUuid(instanceId: string): Promise<number | null> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    if (await isQemuOf(Number(entry), instanceId)) return Number(entry);
  }
  return null;
}
