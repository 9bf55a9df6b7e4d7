/**
 * `node dist/devstack/build-guest-image.js [--cache DIR]`: builds (or finds) the guest
 * image and prints its path, digest and size as JSON. The cache defaults to
 * NIMBUS_GUEST_IMAGE_CACHE (`.nimbus/guest-image` in the checkout, shared by every stack).
 */
import path from 'node:path';
import { loadConfig } from '../core/config.js';
import { buildGuestImage } from '../core/hypervisor/guest-image/build-guest-image.js';

const at = process.argv.indexOf('--cache');
const cacheDir = at > 0 ? path.resolve(process.argv[at + 1]) : loadConfig().guestImageCache;

try {
  const image = await buildGuestImage({ cacheDir, log: (line) => process.stderr.write(line + '\n') });
  process.stdout.write(JSON.stringify(image) + '\n');
} catch (err) {
  process.stderr.write(`guest image: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
