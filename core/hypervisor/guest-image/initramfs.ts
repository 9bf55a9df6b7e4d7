import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { writeCpioNewc, type CpioEntry } from './cpio-newc.js';
import { DISK_CGI } from './disk-cgi.js';
import { GUEST_MODULES, INFO_CGI, INIT_SCRIPT, UDHCPC_SCRIPT } from './guest-init.js';

const run = promisify(execFile);

/**
 * The guest's initramfs: a statically linked busybox with a link per applet, the virtio
 * modules of the guest kernel, and the scripts of guest-init.ts; a newc cpio, gzipped.
 */
export async function buildInitramfs(opts: { busybox: string; modulesDir: string }): Promise<Buffer> {
  const busybox = await readFile(opts.busybox);
  if (!isStaticElf(busybox)) {
    throw new Error(`${opts.busybox} is dynamically linked: install busybox-static (apt-get install busybox-static)`);
  }
  const applets = (await run(opts.busybox, ['--list'])).stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a));
  const entries: CpioEntry[] = [];
  for (const dir of ['bin', 'sbin', 'dev', 'etc', 'lib', 'lib/modules', 'proc', 'sys', 'tmp', 'run', 'www']) {
    entries.push({ type: 'dir', path: dir });
  }
  // The kernel opens /dev/console before init runs: without it init's output is lost.
  entries.push({ type: 'char', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 });
  for (const applet of applets) {
    if (applet !== 'busybox') entries.push({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' });
  }
  entries.push({ type: 'symlink', path: 'sbin/init', target: '../init' });
  entries.push({ type: 'file', path: 'init', data: Buffer.from(INIT_SCRIPT), mode: 0o755 });
  entries.push({ type: 'file', path: 'etc/udhcpc.script', data: Buffer.from(UDHCPC_SCRIPT), mode: 0o755 });
  entries.push({ type: 'dir', path: 'www/cgi-bin' });
  entries.push({ type: 'dir', path: 'www/nimbus' });
  entries.push({ type: 'dir', path: 'www/nimbus/info' });
  entries.push({ type: 'file', path: 'www/cgi-bin/index.cgi', data: Buffer.from(INFO_CGI), mode: 0o755 });
  entries.push({ type: 'file', path: 'www/cgi-bin/disk', data: Buffer.from(DISK_CGI), mode: 0o755 });
  const modules = await loadOrder(opts.modulesDir, GUEST_MODULES);
  for (const { name, data } of modules) entries.push({ type: 'file', path: `lib/modules/${name}.ko`, data });
  // The init loads them in this order: every module after the ones it depends on.
  const order = modules.map((m) => m.name).join('\n') + '\n';
  entries.push({ type: 'file', path: 'lib/modules/order', data: Buffer.from(order) });
  return gzipSync(writeCpioNewc(entries), { level: 6 });
}

/**
 * The wanted modules and whatever they depend on (the `depends=` field of each module's
 * .modinfo), in an order that loads every dependency first, as modprobe would.
 */
async function loadOrder(modulesDir: string, wanted: string[]): Promise<Array<{ name: string; data: Buffer }>> {
  const ordered: Array<{ name: string; data: Buffer }> = [];
  const visiting = new Set<string>();
  const visit = async (name: string): Promise<void> => {
    if (ordered.some((m) => m.name === name) || visiting.has(name)) return;
    visiting.add(name);
    const data = await readFile(await findModule(modulesDir, name));
    for (const dep of moduleDepends(data)) await visit(dep);
    ordered.push({ name, data });
  };
  for (const name of wanted) await visit(name);
  return ordered;
}

/** The `depends=` entry of a module's .modinfo section (NUL-separated key=value strings). */
export function moduleDepends(ko: Buffer): string[] {
  const at = ko.indexOf('\0depends=');
  if (at < 0) return [];
  const start = at + '\0depends='.length;
  const value = ko.toString('latin1', start, ko.indexOf(0, start));
  return value
    .split(',')
    .filter(Boolean)
    .map((d) => d.replace(/-/g, '_'));
}

/** A kernel module by name under lib/modules/<version>/kernel (uncompressed .ko, as Debian 12 ships them). */
async function findModule(modulesDir: string, name: string): Promise<string> {
  const { stdout } = await run('find', [modulesDir, '-name', `${name}.ko`, '-type', 'f']);
  const file = stdout.split('\n').find(Boolean);
  if (!file) throw new Error(`kernel module ${name}.ko not found under ${modulesDir}`);
  return path.resolve(file);
}

/** True for an ELF executable without a PT_INTERP program header (no dynamic loader). */
export function isStaticElf(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false; // 64-bit ELF only
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === 3) return false; // PT_INTERP
  }
  return true;
}
