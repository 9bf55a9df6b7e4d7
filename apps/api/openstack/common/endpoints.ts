import type { Request } from 'express';

/** Where the client reached us: every link and catalog URL is built on it, as devstack lays them out. */
export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host')}`;
}

export const SERVICE_PATHS = {
  identity: '/identity',
  compute: '/compute/v2.1',
  image: '/image',
  network: '/network',
  volume: (projectId: string) => `/volume/v3/${projectId}`,
} as const;

/** Nova and Cinder timestamps: ISO 8601 without the trailing Z or milliseconds. */
export function novaTime(iso: string | Date | null): string | null {
  if (iso === null) return null;
  return new Date(iso).toISOString().replace(/\.\d+Z$/, '');
}

/** Neutron, Glance and Nova's `created`/`updated`: ISO 8601 with Z, whole seconds. */
export function isoSeconds(iso: string | Date): string {
  return new Date(iso).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A query parameter as the clients send it: repeated parameters come as a list, we take the first. */
export function first(v: unknown): string | undefined {
  if (Array.isArray(v)) return first(v[0]);
  return typeof v === 'string' ? v : undefined;
}
