import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readBundle, readBundleManifest } from '../guest-image/kernel-bundle.js';

export interface BootFiles {
  kernel: string;
  initrd: string;
  cmdline: string;
}

/**
 * The kernel and initrd of a cached kernel-bundle image (guest-image/kernel-bundle.ts),
 * unpacked once per image digest under `bootDir/<sha256>/` (a temp folder renamed into
 * place, so concurrent spawns and a crash midway never leave a half-written kernel).
 * Null when the image is not a bundle: QEMU then boots its disk through the BIOS.
 */
export async function ensureBootFiles(bootDir: string, imagePath: string, sha256: string): Promise<BootFiles | null> {
  const manifest = await readBundleManifest(imagePath);
  if (!manifest) return null;
  const dir = path.join(bootDir, sha256.replace(/[^0-9a-f]/gi, '').slice(0, 64));
  const files = {
    kernel: path.join(dir, 'vmlinux'),
    initrd: path.join(dir, 'initrd.gz'),
    cmdline: manifest.cmdline,
  };
  if (await exists(files.kernel)) return files;
  await mkdir(bootDir, { recursive: true });
  const tmp = await mkdtemp(path.join(bootDir, '.unpack-'));
  try {
    const members = await readBundle(imagePath);
    const kernel = members.get(manifest.kernel);
    const initrd = members.get(manifest.initrd);
    if (!kernel || !initrd) throw new Error(`image ${imagePath} lacks ${manifest.kernel} or ${manifest.initrd}`);
    await writeFile(path.join(tmp, 'vmlinux'), manifest.kernel.endsWith('.gz') ? gunzipSync(kernel) : kernel);
    await writeFile(path.join(tmp, 'initrd.gz'), initrd);
    await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      // Another spawn unpacked the same image first: theirs is as good as ours.
      if (!['ENOTEMPTY', 'EEXIST'].includes(err.code ?? '')) throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return files;
}

/** The same for a bundle file outside the node cache (the probe's), keyed by its content's digest. */
export async function ensureBootFilesOf(bootDir: string, file: string): Promise<BootFiles | null> {
  const sha256 = createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
  return ensureBootFiles(bootDir, file, sha256);
}

/** A kernel for the accelerator probe: the probe image's, else one unpacked for an earlier guest, else none. */
export async function probeKernel(bootDir: string, probeImage?: string): Promise<string | undefined> {
  const bundled = probeImage ? await ensureBootFilesOf(bootDir, probeImage) : null;
  if (bundled) return bundled.kernel;
  const digests = (await readdir(bootDir).catch(() => [] as string[])).filter((d) => !d.startsWith('.'));
  return digests.length > 0 ? path.join(bootDir, digests[0], 'vmlinux') : undefined;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
