import { createHash } from 'node:crypto';
import type { IssuedToken } from '../../../../core/identity/keystone-tokens.js';
import { DEFAULT_DOMAIN } from '../../../../core/identity/users.js';
import { SERVICE_PATHS } from '../common/endpoints.js';

/** Stable ids for catalog entries, so a client caching them sees the same ids every time. */
const stableId = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** Keystone's service catalog: devstack's layout on our one port, interface `public`, one region. */
export function catalog(base: string, projectId: string, region: string) {
  const entry = (type: string, name: string, path: string) => ({
    id: stableId(`service:${type}`),
    type,
    name,
    endpoints: [
      {
        id: stableId(`endpoint:${type}:${path}`),
        interface: 'public',
        region,
        region_id: region,
        url: `${base}${path}`,
      },
    ],
  });
  return [
    entry('identity', 'keystone', SERVICE_PATHS.identity),
    entry('compute', 'nova', SERVICE_PATHS.compute),
    entry('image', 'glance', SERVICE_PATHS.image),
    entry('network', 'neutron', SERVICE_PATHS.network),
    entry('block-storage', 'cinder', SERVICE_PATHS.volume(projectId)),
    entry('volumev3', 'cinderv3', SERVICE_PATHS.volume(projectId)),
  ];
}

/** The role's Keystone id: Nimbus's three roles are named and identified alike. */
export const roleRef = (role: string) => ({ id: role, name: role, domain_id: null });

/** `{"token": ...}` as Keystone v3 answers POST and GET /v3/auth/tokens. */
export function tokenBody(t: IssuedToken, base: string, region: string, withCatalog = true) {
  const domain = { id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name };
  return {
    token: {
      methods: t.methods,
      user: { id: t.userId ?? t.projectId, name: t.userName, domain, password_expires_at: null },
      audit_ids: [Buffer.from(t.id.replace(/-/g, ''), 'hex').subarray(0, 16).toString('base64url').slice(0, 22)],
      expires_at: t.expiresAt.toISOString(),
      issued_at: t.issuedAt.toISOString(),
      project: { id: t.projectId, name: t.projectName, domain },
      is_domain: false,
      roles: [roleRef(t.role)].map(({ id, name }) => ({ id, name })),
      ...(t.applicationCredential ? { application_credential: { ...t.applicationCredential, restricted: true } } : {}),
      ...(withCatalog ? { catalog: catalog(base, t.projectId, region) } : {}),
    },
  };
}
