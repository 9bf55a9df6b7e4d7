import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian packages real VMs need: tgt for the storage node's targets (the networks issue adds dnsmasq, iproute2). */
export const QEMU_PACKAGES = ['qemu-system-x86', 'qemu-utils', 'qemu-block-extra', 'busybox-static', 'tgt'] as const;
export const QEMU_INSTALL_COMMAND = `apt-get install -y --no-install-recommends ${QEMU_PACKAGES.join(' ')}`;

/** What of QEMU's tools is missing here: `qemu-system-x86_64`, `qemu-img`, a static busybox. */
export function missingQemuTools(): string[] {
  const works = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  const missing: string[] = [];
  if (!works('qemu-system-x86_64', ['--version'])) missing.push('qemu-system-x86_64');
  if (!works('qemu-img', ['--version'])) missing.push('qemu-img');
  // The guest's initramfs needs busybox-static's binary; a dynamic busybox would not run in it.
  const busybox = existsSync('/bin/busybox') && works('/bin/busybox', ['true']);
  const statik = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'busybox-static'], { encoding: 'utf8' });
  if (!busybox || (statik.status === 0 && !statik.stdout.includes('install ok installed'))) missing.push('busybox');
  return missing;
}

/** Root on Debian (or a derivative): `npm start` may install the packages itself. */
export function canInstallPackages(): boolean {
  return process.getuid?.() === 0 && existsSync('/etc/debian_version') && existsSync('/usr/bin/apt-get');
}

/** `apt-get install` of QEMU_PACKAGES; an `apt-get update` first only when the install fails without it. */
export async function installQemuPackages(log: (line: string) => void): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run('apt-get', ['install', '-y', '--no-install-recommends', ...QEMU_PACKAGES], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  log(`installing the QEMU packages (first start only): ${QEMU_INSTALL_COMMAND}`);
  try {
    await install();
  } catch {
    log('apt-get install failed; running apt-get update and trying again');
    await run('apt-get', ['update'], { env, maxBuffer: 64 * 1024 * 1024 });
    await install();
  }
}
