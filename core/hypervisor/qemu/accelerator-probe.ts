import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Which accelerator QEMU can use on this host, found by test boots rather than guessed
 * from /dev/kvm (which exists on hosts where KVM cannot run a guest: no VMX/SVM, nested
 * sandboxes). Two boots under KVM, each a few seconds at most:
 *
 *  1. a 64 KiB ROM whose reset vector writes to an isa-debug-exit port, so QEMU exits
 *     with status 133 only if KVM really executed guest code;
 *  2. when a kernel is at hand, that kernel with no root filesystem: a working KVM prints
 *     its first console line ("Linux version ...") within a second. This catches hosts where
 *     KVM runs the ROM but not a kernel: measured in a nested VM, the guest reaches long mode
 *     and then hangs in early kernel init, so no ROM short of a kernel would show it.
 *
 * Anything else means TCG. The result is cached per process and per kernel.
 */

export type Accelerator = 'kvm' | 'tcg';

export interface AcceleratorProbe {
  accel: Accelerator;
  /** As the host reports it (Nova's hypervisor_type): 'qemu/kvm' or 'qemu/tcg'. */
  hypervisorType: `qemu/${Accelerator}`;
  /** Why, in words for an operator. */
  reason: string;
}

export interface ProbeOptions {
  qemu?: string;
  /** An uncompressed kernel to test-boot (step 2); without it only the ROM boot runs. */
  kernel?: string;
  timeoutMs?: number;
  /** Skips the probe: NIMBUS_QEMU_ACCEL-style override for tests and operators. */
  force?: Accelerator;
}

export interface BootOutcome {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
}

/** isa-debug-exit turns a write of V into exit status (V << 1) | 1. */
const ROM_EXIT_VALUE = 0x42;
export const ROM_EXIT_STATUS = (ROM_EXIT_VALUE << 1) | 1;

const cache = new Map<string, Promise<AcceleratorProbe>>();

export function probeAccelerator(opts: ProbeOptions = {}): Promise<AcceleratorProbe> {
  if (opts.force) return Promise.resolve(result(opts.force, `forced (${opts.force})`));
  const key = `${opts.qemu ?? ''}|${opts.kernel ?? ''}`;
  let probe = cache.get(key);
  if (!probe) {
    probe = runProbe(opts);
    cache.set(key, probe);
  }
  return probe;
}

async function runProbe(opts: ProbeOptions): Promise<AcceleratorProbe> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return result('tcg', '/dev/kvm is missing or not accessible');
  }
  const qemu = opts.qemu ?? 'qemu-system-x86_64';
  const timeoutMs = opts.timeoutMs ?? 3000;
  const dir = await mkdtemp(path.join(tmpdir(), 'nimbus-accel-'));
  try {
    const rom = path.join(dir, 'probe.rom');
    await writeFile(rom, probeRom());
    const romBoot = await boot(qemu, romProbeArgs(rom), timeoutMs);
    const romVerdict = classifyRomBoot(romBoot);
    if (romVerdict) return result('tcg', romVerdict);
    if (!opts.kernel) return result('kvm', 'a KVM test boot ran guest code (no kernel at hand to test further)');
    const kernelVerdict = classifyKernelBoot(await boot(qemu, kernelProbeArgs(opts.kernel), timeoutMs), timeoutMs);
    if (kernelVerdict) return result('tcg', kernelVerdict);
    return result('kvm', 'a KVM test boot of the guest kernel printed its banner');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function result(accel: Accelerator, reason: string): AcceleratorProbe {
  return { accel, hypervisorType: `qemu/${accel}`, reason };
}

/** Real mode at the reset vector (last 16 bytes): mov al, 0x42; out 0xf4, al; hlt; jmp $. */
export function probeRom(): Buffer {
  const rom = Buffer.alloc(64 * 1024);
  Buffer.from([0xb0, ROM_EXIT_VALUE, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe]).copy(rom, 0xfff0);
  return rom;
}

export function romProbeArgs(rom: string): string[] {
  const base = ['-machine', 'pc', '-accel', 'kvm', '-m', '16', '-nodefaults', '-display', 'none'];
  return [...base, '-bios', rom, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'];
}

export function kernelProbeArgs(kernel: string): string[] {
  return [
    ...['-machine', 'pc', '-accel', 'kvm', '-cpu', 'host', '-m', '128', '-nodefaults', '-display', 'none'],
    ...['-bios', '/usr/share/qemu/qboot.rom', '-kernel', kernel, '-serial', 'stdio', '-no-reboot'],
    ...['-append', 'console=ttyS0 earlyprintk=serial,ttyS0 panic=-1'],
  ];
}

/** Null when the ROM boot proved KVM runs guest code, else why not. */
export function classifyRomBoot(b: BootOutcome): string | null {
  if (b.exitCode === ROM_EXIT_STATUS) return null;
  if (b.timedOut) return 'a KVM test boot did not finish in time';
  const said = lastLine(b.output);
  return `a KVM test boot failed (exit ${b.exitCode})${said ? `: ${said}` : ''}`;
}

/** Null when the kernel printed its banner under KVM, else why not. */
export function classifyKernelBoot(b: BootOutcome, timeoutMs: number): string | null {
  if (/Linux version \d/.test(b.output)) return null;
  if (b.timedOut) return `a KVM test boot of the guest kernel printed nothing in ${timeoutMs} ms`;
  const said = lastLine(b.output);
  return `a KVM test boot of the guest kernel failed (exit ${b.exitCode})${said ? `: ${said}` : ''}`;
}

function lastLine(output: string): string {
  return output.trim().split('\n').pop()?.trim().slice(0, 200) ?? '';
}

/** Runs QEMU until it exits, the kernel banner shows, or the time is up; then kills it. */
function boot(qemu: string, args: string[], timeoutMs: number): Promise<BootOutcome> {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    let done = false;
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const finish = (exitCode: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve({ exitCode, timedOut, output });
    };
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/Linux version \d/.test(output)) finish(null);
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', (err) => {
      output += `${err.message}\n`;
      finish(null);
    });
    child.on('exit', (code) => finish(code));
    const timer = setTimeout(() => {
      timedOut = true;
      finish(null);
    }, timeoutMs);
  });
}
