import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function openrcFile(dataDir: string): string {
  return path.join(dataDir, 'openrc');
}

/**
 * `<data dir>/openrc`, as devstack writes it: `source` it and the `openstack` CLI talks to
 * this stack as the seeded admin. Owner-only: it holds the password.
 */
export function writeOpenrc(dataDir: string, apiUrl: string, adminPassword: string, region: string): string {
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const vars: Array<[string, string]> = [
    ['OS_AUTH_URL', `${apiUrl}/identity/v3`],
    ['OS_IDENTITY_API_VERSION', '3'],
    ['OS_AUTH_TYPE', 'password'],
    ['OS_USERNAME', 'admin'],
    ['OS_PASSWORD', adminPassword],
    ['OS_PROJECT_NAME', 'admin'],
    ['OS_USER_DOMAIN_NAME', 'Default'],
    ['OS_PROJECT_DOMAIN_NAME', 'Default'],
    ['OS_REGION_NAME', region],
    ['OS_INTERFACE', 'public'],
  ];
  const file = openrcFile(dataDir);
  const body = vars.map(([k, v]) => `export ${k}=${quote(v)}`).join('\n');
  writeFileSync(file, `# Nimbus (written by npm start): source this file, then run openstack.\n${body}\n`, {
    mode: 0o600,
  });
  chmodSync(file, 0o600);
  return file;
}
