import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NetworkConflicts } from '../../../../contracts/errors.js';
import { Network, NeutronNetwork } from '../../../../core/db/entities/index.js';
import { DomainError, isUniqueViolation } from '../../../../core/errors.js';
import { isUuid } from '../../../../core/ids.js';
import { NetworkService } from '../../../../core/network/network-service.js';
import type { Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { NetworksService } from '../../networks/networks.service.js';

export interface SubnetCreate {
  network_id?: string;
  name?: string;
  cidr?: string;
  gateway_ip?: string | null;
  dns_nameservers?: string[];
  allocation_pools?: Array<{ start: string; end: string }>;
}

export type NetworkPair = [Network | null, NeutronNetwork | null];

/**
 * Neutron's networks and subnets over the native NetworkService: a network created through
 * Neutron waits in neutron_networks for its subnet, whose create is the native network create
 * (with the same id); the segment is a VXLAN with the next free VNI.
 */
@Injectable()
export class NeutronNetworks {
  constructor(
    private readonly db: DataSource,
    private readonly networks: NetworkService,
    readonly native: NetworksService,
  ) {}

  async list(): Promise<NetworkPair[]> {
    const [nets, neutron] = await Promise.all([this.networks.list(), this.db.getRepository(NeutronNetwork).find()]);
    const byId = new Map(neutron.map((n) => [n.id, n]));
    const ids = new Set(nets.map((n) => n.id));
    return [
      ...nets.map((n): NetworkPair => [n, byId.get(n.id) ?? null]),
      ...neutron.filter((p) => !ids.has(p.id)).map((p): NetworkPair => [null, p]),
    ];
  }

  async get(id: string): Promise<NetworkPair> {
    const found = isUuid(id) ? (await this.list()).find(([n, p]) => (n?.id ?? p?.id) === id) : undefined;
    if (!found) throw Problem.notFound('network', id);
    return found;
  }

  async create(principal: Principal, name: string): Promise<NetworkPair> {
    if (await this.db.getRepository(Network).findOneBy({ name })) throw conflict(name);
    const repo = this.db.getRepository(NeutronNetwork);
    try {
      const row = repo.create({ name, projectId: principal.projectId, subnetName: null });
      await repo.insert(row);
      return [null, await repo.findOneByOrFail({ id: row.id })];
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(name);
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    const [n, p] = await this.get(id);
    if (n) await this.networks.delete(n.id);
    if (p) await this.db.getRepository(NeutronNetwork).delete({ id: p.id });
  }

  /** The network's one subnet: the native network create, under the Neutron network's id. */
  async createSubnet(s: SubnetCreate): Promise<[Network, NeutronNetwork]> {
    if (!s.network_id || !s.cidr) throw Problem.validation([{ field: 'subnet', message: 'network_id and cidr' }]);
    const [n, p] = await this.get(s.network_id);
    if (n || !p) throw Problem.conflict(`network ${s.network_id} already has its one subnet`);
    const pool = s.allocation_pools?.[0];
    for (let attempt = 0; ; attempt++) {
      try {
        const network = await this.networks.create({
          id: p.id,
          name: p.name,
          cidr: s.cidr,
          gateway: s.gateway_ip ?? undefined,
          allocationStart: pool?.start,
          allocationEnd: pool?.end,
          dnsServers: s.dns_nameservers,
          segmentation: { type: 'vxlan', id: await this.nextVni() },
        });
        await this.db.getRepository(NeutronNetwork).update({ id: p.id }, { subnetName: s.name ?? null });
        return [network, { ...p, subnetName: s.name ?? null }];
      } catch (err) {
        // Two networks took the same VNI at once: the loser takes the next.
        if (!(err instanceof DomainError && err.code === NetworkConflicts.SegmentationInUse) || attempt >= 3) throw err;
      }
    }
  }

  private async nextVni(): Promise<number> {
    const [row] = await this.db.query<Array<{ vni: number }>>(
      `SELECT COALESCE(MAX(segmentation_id), 0)::int + 1 AS vni FROM networks WHERE segmentation_type = 'vxlan'`,
    );
    return row.vni;
  }
}

const conflict = (name: string) => new DomainError(NetworkConflicts.NameInUse, `a network named ${name} exists`);
