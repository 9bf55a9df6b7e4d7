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

/**
 * Checks that a project can take `request` more, holding the project's row lock until the
 * caller's transaction ends: concurrent builds of one project queue here, so the count they
 * see always includes each other and a quota can never be overrun by a burst. Only what is
 * asked for is checked: a build without a volume is never refused for the project's volumes.
 */
export async function reserveWithinQuota(
  tx: EntityManager,
  projectId: string,
  request: QuotaRequest,
): Promise<QuotaUsage> {
  const [project] = await tx.query(
    `SELECT quota_instances, quota_vcpus, quota_ram_mb, quota_volume_gb FROM projects WHERE id = $1 FOR UPDATE`,
    [projectId],
  );
  if (!project) throw new NotFoundError('project', projectId);
  const usage = await quotaUsage(tx, projectId);
  const limits: Array<[keyof QuotaUsage, number | null, string]> = [
    ['instances', project.quota_instances, 'instances'],
    ['vcpus', project.quota_vcpus, 'vCPUs'],
    ['ramMb', project.quota_ram_mb, 'MB of RAM'],
    ['volumeGb', project.quota_volume_gb, 'GB of volumes'],
  ];
  for (const [key, limit, unit] of limits) {
    if (limit !== null && request[key] > 0 && usage[key] + request[key] > limit) {
      throw new DomainError(
        FaultCodes.QuotaExceeded,
        `quota exceeded: ${usage[key]} of ${limit} ${unit} in use, ${request[key]} more asked`,
        {
          resource: key,
          limit,
          used: usage[key],
          requested: request[key],
        },
      );
    }
  }
  return usage;
}

/** What a standalone volume of `sizeGb` asks of its project's quota. */
export function volumeQuotaRequest(sizeGb: number): QuotaRequest {
  return { instances: 0, vcpus: 0, ramMb: 0, volumeGb: sizeGb };
}

export async function quotaUsage(tx: Pick<EntityManager, 'query'>, projectId: string): Promise<QuotaUsage> {
  const [[i], [v]] = await Promise.all([
    tx.query(
      `SELECT count(*)::int AS instances, coalesce(sum(f.vcpus), 0)::int AS vcpus,
              coalesce(sum(f.ram_mb), 0)::int AS ram_mb
       FROM instances i JOIN flavors f ON f.id = i.flavor_id
       WHERE i.project_id = $1 AND i.status IN ('BUILD', 'ACTIVE', 'SHUTOFF')`,
      [projectId],
    ),
    // Volumes that exist, plus the new volumes of builds that have not made theirs yet.
    tx.query(
      `SELECT (SELECT coalesce(sum(size_gb), 0) FROM volumes
               WHERE project_id = $1 AND status NOT IN ('deleted', 'error'))
            + (SELECT coalesce(sum(i.volume_size_gb), 0) FROM instances i
               WHERE i.project_id = $1 AND i.status = 'BUILD' AND i.volume_size_gb IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM volumes v WHERE v.instance_id = i.id)) AS gb`,
      [projectId],
    ),
  ]);
  return { instances: i.instances, vcpus: i.vcpus, ramMb: i.ram_mb, volumeGb: Number(v.gb) };
}
