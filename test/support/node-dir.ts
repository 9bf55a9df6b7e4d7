import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';

export interface NodeDir {
  /** The compute node's state directory (core/config.ts `nodeDir`). */
  dir: string;
  /** An image file in its cache, for a domain to boot from. */
  imagePath: string;
}

/**
 * A compute node's state directory in a fresh temp folder, with one image in its cache,
 * for the hypervisor driver's tests: made in a `before` hook (`beforeEach` with `each`),
 * removed in the matching `after`. `use` receives it once made.
 */
export function useNodeDir(prefix: string, opts: { each?: boolean }, use: (node: NodeDir) => void): void {
  let dir: string | undefined;
  (opts.each ? beforeEach : before)(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix));
    const imagePath = path.join(dir, 'images', 'img');
    await mkdir(path.dirname(imagePath), { recursive: true });
    await writeFile(imagePath, 'not really a disk');
    use({ dir, imagePath });
  });
  (opts.each ? afterEach : after)(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
}
