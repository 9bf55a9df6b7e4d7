import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { FaultCodes } from '../../contracts/errors.js';
import type { PortInfo } from '../../contracts/network.js';
import { Network, Port } from '../db/entities/index.js';
import { DomainError, NotFoundError, isUniqueViolation } from '../errors.js';
import { bindPort, tapDeviceName } from './port-binding.js';
import { randomMac } from './mac-address.js';
import { intToIpv4, ipv4ToInt } from './subnet.js';

export interface AllocateInput {
  instanceId: string;
  networkId: string;
  host: string;
  projectId?: string | null;
}

/**
 * Ports and IPAM. Every operation is keyed by (instance, network): a retried activity
 * finds the port it made before. Uniqueness of IPs and MACs is the database's job
 * (unique constraints), so concurrent builds cannot collide whatever the timing.
 */
export class PortAllocator {
  constructor(private readonly db: DataSource) {}

  async allocate(input: AllocateInput): Promise<PortInfo> {
    const network = await this.db.getRepository(Network).findOneBy({ id: input.networkId });
    if (!network) throw new NotFoundError('network', input.networkId);
    const port = (await this.findPort(input.instanceId, input.networkId)) ?? (await this.createPort(input));
    if (port.host !== input.host) {
      await this.db.getRepository(Port).update({ id: port.id }, { host: input.host });
    }
    const ip = (await this.addressOf(port.id)) ?? (await this.allocateAddress(network, port));
    const segmentation = { type: network.segmentationType, id: network.segmentationId };
    // The binding tells the port's host how to wire it (a tap on the network's bridge).
    const binding = bindPort({ portId: port.id, networkId: network.id, segmentation });
    return {
      portId: port.id,
      networkId: network.id,
      networkName: network.name,
      ip,
      mac: port.macAddress,
      segmentation,
      deviceName: port.deviceName ?? binding.details.tapDevice,
      binding,
      subnet: { cidr: network.cidr, gateway: network.gateway },
    };
  }

  /** Frees the instance's ports and their addresses. A second call finds nothing to do. */
  async deallocate(instanceId: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const ports = await tx.getRepository(Port).findBy({ instanceId });
      if (ports.length === 0) return 0;
      const ids = ports.map((p) => p.id);
      await tx.query(`DELETE FROM ip_allocations WHERE port_id = ANY($1)`, [ids]);
      await tx.query(`DELETE FROM ports WHERE id = ANY($1)`, [ids]);
      return ports.length;
    });
  }

  async setStatus(instanceId: string, status: 'down' | 'active'): Promise<void> {
    await this.db.getRepository(Port).update({ instanceId }, { status });
  }

  private findPort(instanceId: string, networkId: string): Promise<Port | null> {
    return this.db.getRepository(Port).findOneBy({ instanceId, networkId });
  }

  private async createPort(input: AllocateInput): Promise<Port> {
    for (let i = 0; i < 8; i++) {
      try {
        return await this.db.transaction(async (tx) => {
          // A share lock on the network: a concurrent delete of it (which locks it for update)
          // either sees this port and refuses, or runs first and this finds no network.
          const [network] = await tx.query(`SELECT id FROM networks WHERE id = $1 FOR SHARE`, [input.networkId]);
          if (!network) throw new NotFoundError('network', input.networkId);
          const id = randomUUID();
          const repo = tx.getRepository(Port);
          const port = repo.create({
            id,
            networkId: input.networkId,
            instanceId: input.instanceId,
            projectId: input.projectId ?? null,
            host: input.host,
            macAddress: randomMac(),
            status: 'down',
            deviceName: tapDeviceName(id),
          });
          await repo.insert(port);
          return port;
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // Either a concurrent retry of this very activity made the port, or the MAC collided.
        const existing = await this.findPort(input.instanceId, input.networkId);
        if (existing) return existing;
      }
    }
    throw new DomainError(FaultCodes.InternalError, 'could not find a free MAC address after 8 tries');
  }

  private async addressOf(portId: string): Promise<string | null> {
    const rows: Array<{ address: string }> = await this.db.query(
      `SELECT host(address) AS address FROM ip_allocations WHERE port_id = $1`,
      [portId],
    );
    return rows[0]?.address ?? null;
  }

  /**
   * Takes a free address: a random starting point spreads concurrent allocators over the
   * range, the unique constraint settles any race, and "no candidate" means exhausted. The
   * search costs what the network's allocations cost, never what its range holds (a /8 is
   * 16 million addresses): see nextFreeAddress.
   */
  private async allocateAddress(network: Network, port: Port): Promise<string> {
    const start = ipv4ToInt(network.allocationStart);
    const end = ipv4ToInt(network.allocationEnd);
    const count = end - start + 1;
    for (;;) {
      const from = intToIpv4(start + Math.floor(Math.random() * count));
      // From the random point to the end of the range, then (wrapping) from its start.
      const address =
        (await this.nextFreeAddress(network, port, from)) ??
        (await this.nextFreeAddress(network, port, network.allocationStart));
      if (address) return address;
      const mine = await this.addressOf(port.id);
      if (mine) return mine;
      const [{ free }] = await this.db.query(
        `SELECT ($2::int - count(*)::int - (CASE WHEN $3::inet BETWEEN $4::inet AND $5::inet THEN 1 ELSE 0 END)) AS free
         FROM ip_allocations WHERE network_id = $1`,
        [network.id, count, network.gateway, network.allocationStart, network.allocationEnd],
      );
      if (Number(free) <= 0) {
        // Release the port so an aborted build leaks nothing, then fail for good.
        await this.db.getRepository(Port).delete({ id: port.id });
        throw new DomainError(
          FaultCodes.NetworkExhausted,
          `network ${network.name} (${network.cidr}) has no free address`,
          {
            networkId: network.id,
          },
        );
      }
      // Lost a race for the last candidates seen; look again.
    }
  }

  /**
   * Inserts the lowest free address at or after `from` in the allocation range. A free address
   * is either `from` itself or one just above an allocated one (or above the gateway), so the
   * candidates are those few, read through the (network_id, address) index.
   */
  private async nextFreeAddress(network: Network, port: Port, from: string): Promise<string | null> {
    const rows: Array<{ address: string }> = await this.db.query(
      `INSERT INTO ip_allocations (network_id, port_id, address)
       SELECT $1, $2, c.candidate FROM (
         SELECT $3::inet AS candidate
         UNION ALL SELECT $5::inet + 1
         UNION ALL SELECT a.address + 1 FROM ip_allocations a
           WHERE a.network_id = $1 AND a.address >= $3::inet AND a.address < $4::inet
       ) c
       WHERE c.candidate BETWEEN $3::inet AND $4::inet
         AND c.candidate <> $5::inet
         AND NOT EXISTS (SELECT 1 FROM ip_allocations b WHERE b.network_id = $1 AND b.address = c.candidate)
       ORDER BY c.candidate
       LIMIT 1
       ON CONFLICT DO NOTHING
       RETURNING host(address) AS address`,
      [network.id, port.id, from, network.allocationEnd, network.gateway],
    );
    return rows[0]?.address ?? null;
  }
}
