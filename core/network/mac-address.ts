import { randomBytes } from 'node:crypto';

/** The OpenStack range: operators recognise fa:16:3e as "a port of ours". */
export const MAC_PREFIX = 'fa:16:3e';

export function randomMac(): string {
  const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `${MAC_PREFIX}:${tail}`;
}
