import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { planSubnet } from '../network/subnet.js';

/** OpenStack's default flavors. */
export const SEED_FLAVORS = [
  { name: 'm1.tiny', vcpus: 1, ramMb: 512, diskGb: 1 },
  { name: 'm1.small', vcpus: 1, ramMb: 2048, diskGb: 20 },
  { name: 'm1.medium', vcpus: 2, ramMb: 4096, diskGb: 40 },
  { name: 'm1.large', vcpus: 4, ramMb: 8192, diskGb: 80 },
  { name: 'm1.xlarge', vcpus: 8, ramMb: 16384, diskGb: 160 },
];

export const SEED_HOSTS = ['node-1', 'node-2', 'node-3'].map((name) => ({
  name,
  vcpus: 8,
  ramMb: 16384,
  diskGb: 160,
  cpuAllocationRatio: 4.0,
  ramAllocationRatio: 1.0,
  diskAllocationRatio: 1.0,
}));

export const SEED_NETWORK = {
  name: 'default',
  cidr: '10.0.0.0/24',
  segmentationType: 'vlan' as const,
  segmentationId: 100,
};
export const SEED_POOL = { name: 'default', capacityGb: 10_000 };
export const ADMIN_PROJECT = 'admin';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * First-start data. Each insert does nothing when the row exists, so seeding is safe on
 * every start and never overwrites what an operator changed.
 */
export async function seed(
  tx: EntityManager,
  tokens: { adminToken?: string; agentToken?: string } = {},
): Promise<void> {
  for (const f of SEED_FLAVORS) {
    await tx.query(
      `INSERT INTO flavors (name, vcpus, ram_mb, disk_gb) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`,
      [f.name, f.vcpus, f.ramMb, f.diskGb],
    );
  }
  // Seeded hosts are "down" until their agent registers and heartbeats.
  for (const h of SEED_HOSTS) {
    await tx.query(
      `INSERT INTO hosts
         (name, vcpus, ram_mb, disk_gb, cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING`,
      [h.name, h.vcpus, h.ramMb, h.diskGb, h.cpuAllocationRatio, h.ramAllocationRatio, h.diskAllocationRatio],
    );
  }
  const net = planSubnet({ cidr: SEED_NETWORK.cidr });
  await tx.query(
    `INSERT INTO networks
       (name, cidr, gateway, allocation_start, allocation_end, dns_servers, segmentation_type, segmentation_id)
     VALUES ($1, $2, $3, $4, $5, '{}', $6, $7) ON CONFLICT (name) DO NOTHING`,
    [
      SEED_NETWORK.name,
      net.cidr,
      net.gateway,
      net.allocationStart,
      net.allocationEnd,
      SEED_NETWORK.segmentationType,
      SEED_NETWORK.segmentationId,
    ],
  );
  await tx.query(`INSERT INTO storage_pools (name, capacity_gb) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
    SEED_POOL.name,
    SEED_POOL.capacityGb,
  ]);
  await tx.query(`INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [ADMIN_PROJECT]);
  if (tokens.adminToken) await seedConfiguredToken(tx, tokens.adminToken, SEEDED_TOKENS.admin);
  if (tokens.agentToken) await seedConfiguredToken(tx, tokens.agentToken, SEEDED_TOKENS.agent);
}

/** The tokens configuration names (NIMBUS_ADMIN_TOKEN, NIMBUS_AGENT_TOKEN), each the admin project's. */
export const SEEDED_TOKENS = {
  admin: { name: 'admin (seeded)', isAdmin: true, scope: null },
  /** The compute agents' service credential: it reads image files and nothing else. */
  agent: { name: 'compute agents (seeded)', isAdmin: false, scope: 'image:read' },
} as const;

/**
 * The configured token is THE token of its kind: it is made live (no expiry; a revoked one is
 * live again, since the configuration says so) and every other token seeded under that name is
 * revoked, so rotating the configured token revokes the old one at the next start.
 */
async function seedConfiguredToken(
  tx: EntityManager,
  token: string,
  kind: { name: string; isAdmin: boolean; scope: string | null },
): Promise<void> {
  const hash = sha256Hex(token);
  await tx.query(
    `INSERT INTO api_tokens (token_sha256, project_id, is_admin, name, scope)
     SELECT $1, id, $3, $4, $5 FROM projects WHERE name = $2
     ON CONFLICT (token_sha256) DO UPDATE SET revoked_at = NULL, expires_at = NULL
       WHERE api_tokens.name = $4 AND api_tokens.is_admin = $3 AND api_tokens.scope IS NOT DISTINCT FROM $5`,
    [hash, ADMIN_PROJECT, kind.isAdmin, kind.name, kind.scope],
  );
  await tx.query(
    `UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND token_sha256 <> $2 AND revoked_at IS NULL`,
    [kind.name, hash],
  );
}
