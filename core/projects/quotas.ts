import type { EntityManager } from 'typeorm';
import { FaultCodes } from '../../contracts/errors.js';
import { DomainError, NotFoundError } from '../errors.js';

export interface QuotaRequest {
  instances: number;
  vcpus: number;
  ramMb: number;
  volumeGb: number;
}

export interface QuotaUsage {
  instances: number;
  vcpus: number;
  ramMb: number;
  volumeGb: number;
}

/** What does not fit, as `nimbus_quota_verdict` (migration 1764720000000) reports it; null when all fits. */
export interface QuotaVerdict {
  resource: keyof QuotaUsage | 'project';
  limit?: number;
  used?: number;
  requested?: number;
}

const UNITS: Record<keyof QuotaUsage, string> = {
  instances: 'instances',
  vcpus: 'vCPUs',
  ramMb: 'MB of RAM',
  volumeGb: 'GB of volumes',
};

/** The error a refused verdict is, worded for the user who hit it. */
export function quotaRefusal(projectId: string, verdict: QuotaVerdict): Error {
  if (verdict.resource === 'project') return new NotFoundError('project', projectId);
  const { resource, limit, used, requested } = verdict;
  return new DomainError(
    FaultCodes.QuotaExceeded,
    `quota exceeded: ${used} of ${limit} ${UNITS[resource]} in use, ${requested} more asked`,
    { resource, limit, used, requested },
  );
}

/** The SQL call that checks `request` against the project's quota (parameters from `offset`). */
export function quotaVerdictSql(offset: number): string {
  const p = (i: number) => `$${offset + i}`;
  return `nimbus_quota_verdict(${p(0)}::uuid, ${p(1)}::int, ${p(2)}::int, ${p(3)}::int, ${p(4)}::int)`;
}

export function quotaVerdictParams(projectId: string, r: QuotaRequest): unknown[] {
  return [projectId, r.instances, r.vcpus, r.ramMb, r.volumeGb];
}

/**
 * Checks that a project can take `request` more, holding the project's row lock until the
 * caller's transaction ends: concurrent reservations of one project queue there, and each
 * counts after taking the lock, so the count always includes the others and a quota can
 * never be overrun by a burst. Only what is asked for is checked: a build without a volume
 * is never refused for the project's volumes. Builds make the same check inside the
 * statement that inserts them (core/instances/build-admission.ts).
 */
export async function reserveWithinQuota(tx: EntityManager, projectId: string, request: QuotaRequest): Promise<void> {
  const [{ verdict }] = await tx.query(
    `SELECT ${quotaVerdictSql(1)} AS verdict`,
    quotaVerdictParams(projectId, request),
  );
  if (verdict) throw quotaRefusal(projectId, verdict);
}

/** What a standalone volume of `sizeGb` asks of its project's quota. */
export function volumeQuotaRequest(sizeGb: number): QuotaRequest {
  return { instances: 0, vcpus: 0, ramMb: 0, volumeGb: sizeGb };
}

export async function quotaUsage(tx: Pick<EntityManager, 'query'>, projectId: string): Promise<QuotaUsage> {
  const [u] = await tx.query(`SELECT * FROM nimbus_quota_usage($1)`, [projectId]);
  return { instances: u.instances, vcpus: u.vcpus, ramMb: u.ram_mb, volumeGb: u.volume_gb };
}
