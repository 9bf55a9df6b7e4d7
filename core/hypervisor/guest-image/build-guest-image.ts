import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../images/atomic-write.js';
import { extractVmlinux } from './extract-vmlinux.js';
import { DISK_CGI } from './disk-cgi.js';
import { GUEST_MODULES, INFO_CGI, INIT_SCRIPT, UDHCPC_SCRIPT } from './guest-init.js';
import { buildInitramfs } from './initramfs.js';
import { BUNDLE_FORMAT, MANIFEST_NAME, writeTar, type BundleManifest } from './kernel-bundle.js';

const run = promisify(execFile);

/** Bumped when the build's output changes for the same inputs. */
const BUILDER_VERSION = 1;
/** The meta-package whose dependency names the current cloud kernel. */
export const KERNEL_META_PACKAGE = 'linux-image-cloud-amd64';
export const GUEST_CMDLINE = 'console=ttyS0 quiet mitigations=off';

/** Where the guest image is built and kept: under the data dir, which git ignores. */
export function guestImageCacheDir(dataDir: string): string {
  return path.join(dataDir, 'guest-image');
}

export interface GuestImageOptions {
  /** Where the downloaded .deb and the built bundles are kept (under the data dir, never committed). */
  cacheDir: string;
  busybox?: string;
  log?: (line: string) => void;
}

export interface GuestImage {
  /** The bundle (kernel-bundle.ts) to upload as an image. */
  path: string;
  sha256: string;
  sizeBytes: number;
  kernelPackage: string;
  /** True when this call built it, false when the cache had it. */
  built: boolean;
}

/**
 * Builds the guest image from Debian packages: the cloud kernel (`apt-get download` of the
 * package `linux-image-cloud-amd64` depends on, unpacked with `dpkg -x`) and the host's
 * busybox-static. Idempotent: the result is kept under a key of every input (the .deb's
 * bytes, busybox's, the guest scripts, the builder version) and rebuilt only when one
 * changes. Offline with a previous build in the cache, that build is reused.
 */
export async function buildGuestImage(opts: GuestImageOptions): Promise<GuestImage> {
  const log = opts.log ?? (() => undefined);
  const busybox = opts.busybox ?? '/bin/busybox';
  await mkdir(opts.cacheDir, { recursive: true });
  let deb: { pkg: string; file: string };
  try {
    deb = await downloadKernel(opts.cacheDir, log);
  } catch (err) {
    const previous = await readLatest(opts.cacheDir);
    if (!previous) throw err;
    log(`kernel package unavailable (${(err as Error).message}); reusing ${previous.path}`);
    return previous;
  }
  const key = sha256(
    JSON.stringify({
      v: BUILDER_VERSION,
      deb: sha256(await readFile(deb.file)),
      busybox: sha256(await readFile(busybox)),
      scripts: sha256(INIT_SCRIPT + UDHCPC_SCRIPT + INFO_CGI + DISK_CGI + GUEST_MODULES.join() + GUEST_CMDLINE),
    }),
  ).slice(0, 16);
  const out = path.join(opts.cacheDir, `guest-${key}.img`);
  const cached = await stat(out).catch(() => null);
  if (cached) {
    const image = { path: out, sha256: sha256(await readFile(out)), sizeBytes: cached.size, kernelPackage: deb.pkg };
    await writeLatest(opts.cacheDir, image);
    return { ...image, built: false };
  }
  log(`building guest image from ${path.basename(deb.file)} and ${busybox}`);
  const tmp = await mkdtemp(path.join(opts.cacheDir, '.unpack-'));
  try {
    await run('dpkg', ['-x', deb.file, tmp]);
    const boot = await readdir(path.join(tmp, 'boot'));
    const vmlinuz = boot.find((f) => f.startsWith('vmlinuz-'));
    if (!vmlinuz) throw new Error(`${deb.file} has no /boot/vmlinuz-*`);
    const vmlinux = await extractVmlinux(await readFile(path.join(tmp, 'boot', vmlinuz)));
    const initrd = await buildInitramfs({ busybox, modulesDir: path.join(tmp, 'lib', 'modules') });
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      kernel: 'vmlinux.gz',
      initrd: 'initrd.gz',
      cmdline: GUEST_CMDLINE,
    };
    const bundle = writeTar([
      { name: MANIFEST_NAME, data: Buffer.from(JSON.stringify(manifest) + '\n') },
      { name: manifest.kernel, data: gzipSync(vmlinux, { level: 6 }) },
      { name: manifest.initrd, data: initrd },
    ]);
    await writeFileAtomic(out, bundle);
    const image = { path: out, sha256: sha256(bundle), sizeBytes: bundle.length, kernelPackage: deb.pkg };
    await writeLatest(opts.cacheDir, image);
    await pruneOlderBuilds(opts.cacheDir, path.basename(out));
    log(`guest image ${out}: ${(bundle.length / 1e6).toFixed(1)} MB, sha256 ${image.sha256}`);
    return { ...image, built: true };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Resolves the meta-package's kernel dependency and downloads that .deb once (kept by name). */
async function downloadKernel(cacheDir: string, log: (line: string) => void): Promise<{ pkg: string; file: string }> {
  const { stdout } = await run('apt-cache', ['depends', KERNEL_META_PACKAGE]);
  const pkg = /Depends:\s*(linux-image-\S+)/.exec(stdout)?.[1];
  if (!pkg) throw new Error(`apt-cache names no kernel that ${KERNEL_META_PACKAGE} depends on (apt-get update?)`);
  const policy = (await run('apt-cache', ['policy', pkg])).stdout;
  const version = /Candidate:\s*(\S+)/.exec(policy)?.[1];
  if (!version || version === '(none)') throw new Error(`no installable version of ${pkg} (apt-get update?)`);
  const debs = path.join(cacheDir, 'debs');
  await mkdir(debs, { recursive: true });
  const wanted = `${pkg}_${version.replace(/^\d+:/, '')}_`;
  const have = (await readdir(debs)).find((f) => f.startsWith(wanted) && f.endsWith('.deb'));
  if (have) return { pkg, file: path.join(debs, have) };
  log(`downloading ${pkg} ${version} (apt-get download)`);
  await run('apt-get', ['download', `${pkg}=${version}`], { cwd: debs, maxBuffer: 16 * 1024 * 1024 });
  const got = (await readdir(debs)).find((f) => f.startsWith(wanted) && f.endsWith('.deb'));
  if (!got) throw new Error(`apt-get download ${pkg}=${version} left no .deb in ${debs}`);
  return { pkg, file: path.join(debs, got) };
}

/** Builds from older inputs: the node caches have their own copies, this one is only the upload's source. */
async function pruneOlderBuilds(cacheDir: string, keep: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (/^guest-[0-9a-f]{16}\.img$/.test(name) && name !== keep) await rm(path.join(cacheDir, name), { force: true });
  }
}

/** The last guest image built into this cache, if any (its path), without building. */
export async function builtGuestImage(cacheDir: string): Promise<string | undefined> {
  return (await readLatest(cacheDir))?.path;
}

type Latest = Omit<GuestImage, 'built'>;

async function writeLatest(cacheDir: string, image: Latest): Promise<void> {
  await writeFileAtomic(path.join(cacheDir, 'latest.json'), JSON.stringify(image, null, 2) + '\n');
}

async function readLatest(cacheDir: string): Promise<GuestImage | null> {
  try {
    const image = JSON.parse(await readFile(path.join(cacheDir, 'latest.json'), 'utf8')) as Latest;
    await stat(image.path);
    return { ...image, built: false };
  } catch {
    return null;
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
