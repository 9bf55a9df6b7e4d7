import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

/**
 * A fresh temp folder for the tests of this file or `describe` block: made in a `before`
 * hook, removed with its content in the `after` hook. `use` receives its path once made.
 */
export function useTempDir(prefix: string, use: (dir: string) => void): void {
  let dir: string | undefined;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    use(dir);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}
