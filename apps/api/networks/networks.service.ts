import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NetworkService } from '../../../core/network/network-service.js';
import { listPorts, type PortRow } from '../../../core/network/port-listing.js';
import type { CreateNetworkDto } from './create-network.dto.js';
import { networkView, type NetworkView } from './network-view.js';

/** Networks and their ports as the API shows them; the rules are core/network's. */
@Injectable()
export class NetworksService {
  constructor(
    private readonly db: DataSource,
    private readonly networks: NetworkService,
  ) {}

  async list(): Promise<NetworkView[]> {
    return (await this.networks.list()).map(networkView);
  }

  async get(ref: string): Promise<NetworkView> {
    return networkView(await this.networks.get(ref));
  }

  async create(body: CreateNetworkDto): Promise<NetworkView> {
    return networkView(await this.networks.create(body));
  }

  /** Refused (409 NetworkInUse) while a port or a build in progress uses the network. */
  async delete(ref: string): Promise<void> {
    await this.networks.delete(ref);
  }

  /** Ports, optionally of one instance or of one network (by name or id). */
  async ports(filter: { instanceId?: string; network?: string }): Promise<PortRow[]> {
    const networkId = filter.network === undefined ? undefined : (await this.networks.get(filter.network)).id;
    return listPorts(this.db, { instanceId: filter.instanceId, networkId });
  }
}
