import type { DataSource } from 'typeorm';
import { FaultCodes } from '../../contracts/errors.js';
import { DomainError } from '../errors.js';
import { fitsSql, freeRoomSql, tooSmallSql, type ResourceRequest } from './capacity.js';

export type { ResourceRequest } from './capacity.js';

/** spread: most free RAM first (Nova's default, fewer noisy neighbours); pack: least (fills hosts, frees others). */
/** Where the request's fields are in the queries below. */
const REQUEST_PARAMS = { vcpus: '$1', ramMb: '$2', diskGb: '$3' } as const;

export const WEIGHERS = ['spread', 'pack'] as const;
export type Weigher = (typeof WEIGHERS)[number];

export interface HostSubset {
  /**
   * How many of the best-weighed hosts the choice is made among (Nova's `host_subset_size`):
   * with 1, simultaneous builds all try the same host first and pile up on it.
   */
  size: number;
  /** Numbers in [0, 1): Math.random, or seededRandom for repeatable choices. */
  random: () => number;
}

/**
 * Picks a host for a build, as Nova's filter scheduler does: filters (enabled, alive, not
 * suspect — a step went unanswered there and its agent has not heartbeated since —, room
 * for vCPU, RAM and disk under the allocation ratios, not already tried), then a weigher
 * (spread: most free RAM first; pack: least), then a random one of the best `subset.size`.
 * The database does the filtering so the choice stays fast with many hosts;
 * the host's own claim is what makes it binding.
 */
export class HostSelector {
  constructor(
    private readonly db: DataSource,
    private readonly serviceDownTimeSec: number,
    private readonly weigher: Weigher = 'spread',
    private readonly subset: HostSubset = { size: 1, random: Math.random },
  ) {}

  async select(req: ResourceRequest, excludeHosts: string[] = []): Promise<string> {
    const order = this.weigher === 'spread' ? 'DESC' : 'ASC';
    // Free RAM is the expression of the IDX_hosts_free_ram_* indexes, so PostgreSQL walks
    // hosts in weigher order from the first with enough RAM and stops at the first that passes.
    const rows: Array<{ name: string }> = await this.db.query(
      `SELECT name FROM hosts
       WHERE NOT disabled
         AND last_heartbeat_at > now() - make_interval(secs => $4)
         AND suspect_since IS NULL
         AND ${fitsSql(REQUEST_PARAMS)}
         AND NOT (name = ANY($5::text[]))
       ORDER BY (${freeRoomSql('ramMb')}) ${order}, name
       LIMIT $6`,
      [req.vcpus, req.ramMb, req.diskGb, this.serviceDownTimeSec, excludeHosts, this.subset.size],
    );
    if (rows.length > 0) return rows[Math.floor(this.subset.random() * rows.length)].name;
    throw new DomainError(FaultCodes.NoValidHost, await this.explain(req, excludeHosts));
  }

  /** Why no host passed the filters: the message an operator needs. */
  private async explain(req: ResourceRequest, excluded: string[]): Promise<string> {
    const [c] = await this.db.query(
      `SELECT count(*)::int AS total,
         count(*) FILTER (WHERE disabled)::int AS disabled,
         count(*) FILTER (WHERE NOT disabled
           AND (last_heartbeat_at IS NULL OR last_heartbeat_at <= now() - make_interval(secs => $4)))::int AS down,
         count(*) FILTER (WHERE ${tooSmallSql(REQUEST_PARAMS)})::int AS too_small,
         count(*) FILTER (WHERE suspect_since IS NOT NULL)::int AS suspect
       FROM hosts`,
      [req.vcpus, req.ramMb, req.diskGb, this.serviceDownTimeSec],
    );
    const want = `${req.vcpus} vCPU, ${req.ramMb} MB RAM, ${req.diskGb} GB disk`;
    if (c.total > 0 && c.too_small === c.total) return `no host is large enough for ${want}`;
    const parts = [`${c.total} hosts`, `${c.disabled} disabled`, `${c.down} down`, `${c.too_small} too small`];
    if (c.suspect > 0) parts.push(`${c.suspect} suspect (a step went unanswered there)`);
    if (excluded.length) parts.push(`already tried: ${excluded.join(', ')}`);
    return `no host has room for ${want} (${parts.join(', ')}; the rest are full)`;
  }
}

/** True when the reason says no host could ever fit the request: rescheduling is pointless. */
export function isNeverFits(message: string): boolean {
  return message.startsWith('no host is large enough');
}
