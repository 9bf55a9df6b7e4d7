import type { DataSource, EntityManager } from 'typeorm';
import { NetworkConflicts } from '../../contracts/errors.js';
import { Network } from '../db/entities/index.js';
import { DomainError, NotFoundError } from '../errors.js';
import { planNetwork, type NetworkRequest } from './network-spec.js';
import { isUuid } from '../ids.js';

/**
 * Networks as an operator manages them. Creation checks the new network against every
 * other one (no overlapping CIDR, no segmentation id used twice, a unique name) under one
 * transaction-scoped advisory lock, so two concurrent creates cannot both pass the checks.
 * Deletion is refused while a port or a build in flight uses the network.
 */
export class NetworkService {
  constructor(private readonly db: DataSource) {}

  list(): Promise<Network[]> {
    return this.db.getRepository(Network).find({ order: { name: 'ASC' } });
  }

  /** By id or by name. */
  async get(ref: string, tx: EntityManager = this.db.manager): Promise<Network> {
    const repo = tx.getRepository(Network);
    const found = (isUuid(ref) ? await repo.findOneBy({ id: ref }) : null) ?? (await repo.findOneBy({ name: ref }));
    if (!found) throw new NotFoundError('network', ref);
    return found;
  }

  async create(req: NetworkRequest): Promise<Network> {
    const plan = planNetwork(req);
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('nimbus:networks'))`);
      const [named] = await tx.query(`SELECT 1 FROM networks WHERE name = $1`, [plan.name]);
      if (named) throw new DomainError(NetworkConflicts.NameInUse, `a network named ${plan.name} exists`);
      const [overlap] = await tx.query(
        `SELECT name, cidr::text AS cidr FROM networks WHERE cidr && $1::cidr ORDER BY name LIMIT 1`,
        [plan.cidr],
      );
      if (overlap)
        throw new DomainError(
          NetworkConflicts.Overlap,
          `${plan.cidr} overlaps network ${overlap.name} (${overlap.cidr})`,
        );
      const { type, id } = plan.segmentation;
      if (id !== null) {
        const [same] = await tx.query(
          `SELECT name FROM networks WHERE segmentation_type = $1 AND segmentation_id = $2 LIMIT 1`,
          [type, id],
        );
        if (same)
          throw new DomainError(
            NetworkConflicts.SegmentationInUse,
            `${type} ${id} is already used by network ${same.name}`,
          );
      }
      const repo = tx.getRepository(Network);
      const network = repo.create({
        ...(req.id ? { id: req.id } : {}),
        name: plan.name,
        cidr: plan.cidr,
        gateway: plan.gateway,
        allocationStart: plan.allocationStart,
        allocationEnd: plan.allocationEnd,
        dnsServers: plan.dnsServers,
        segmentationType: type,
        segmentationId: id,
      });
      await repo.insert(network);
      return (await repo.findOneBy({ id: network.id }))!;
    });
  }

  /**
   * Deletes a network nothing uses. The row lock makes a concurrent port allocation (which
   * takes a share lock on the network) either finish first, and be counted, or find the
   * network gone. Deleting a missing network is NotFound.
   */
  async delete(ref: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const network = await this.get(ref, tx);
      await tx.query(`SELECT 1 FROM networks WHERE id = $1 FOR UPDATE`, [network.id]);
      const [{ ports, building }] = await tx.query(
        `SELECT (SELECT count(*)::int FROM ports WHERE network_id = $1) AS ports,
                (SELECT count(*)::int FROM instances WHERE network_id = $1 AND status = 'BUILD') AS building`,
        [network.id],
      );
      if (ports > 0 || building > 0) {
        const uses = [
          ports > 0 ? `${ports} port(s)` : null,
          building > 0 ? `${building} build(s) in progress` : null,
        ].filter(Boolean);
        throw new DomainError(NetworkConflicts.InUse, `network ${network.name} is in use by ${uses.join(' and ')}`, {
          ports,
          building,
        });
      }
      await tx.query(`DELETE FROM networks WHERE id = $1`, [network.id]);
    });
  }
}
