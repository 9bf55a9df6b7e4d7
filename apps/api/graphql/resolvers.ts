import { Args, ID, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { Inject } from '@nestjs/common';
import type { NimbusConfig } from '../../../core/config.js';
import { Flavor as FlavorEntity, Network as NetworkEntity } from '../../../core/db/entities/index.js';
import { HostRegistry } from '../../../core/scheduling/host-registry.js';
import { AdminOnly, CurrentPrincipal, type Principal } from '../common/auth.js';
import { CONFIG } from '../common/infra.module.js';
import { networkView } from '../networks/network-view.js';
import { ImagesService } from '../images/images.service.js';
import { InstancesService } from '../instances/instances.service.js';
import { CreateInstanceInput, Flavor, Host, Image, Instance, Network } from './types.js';

/** GraphQL over the same services as REST: one set of rules, two ways in. */
@Resolver(() => Instance)
export class NimbusResolver {
  private readonly hosts: HostRegistry;

  constructor(
    private readonly instanceService: InstancesService,
    private readonly imageService: ImagesService,
    private readonly db: DataSource,
    @Inject(CONFIG) config: NimbusConfig,
  ) {
    this.hosts = new HostRegistry(db, config.serviceDownTimeSec);
  }

  @Query(() => [Instance])
  instances(
    @CurrentPrincipal() principal: Principal,
    @Args('status', { nullable: true }) status?: string,
    @Args('host', { nullable: true }) host?: string,
  ) {
    return this.instanceService.list(principal, { status, host });
  }

  @Query(() => Instance)
  instance(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.instanceService.get(principal, id);
  }

  @Mutation(() => Instance)
  async createInstance(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: CreateInstanceInput,
    @Args('idempotencyKey', { nullable: true }) idempotencyKey?: string,
  ) {
    return (await this.instanceService.create(principal, input, idempotencyKey)).instance;
  }

  @Mutation(() => Instance)
  deleteInstance(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.instanceService.delete(principal, id);
  }

  /**
   * Pushes the instance each time its status, task state, host, attempts or fault change,
   * and ends once the build (or delete) has settled. It follows the database the workflow
   * writes to, so it sees what GET sees, from any API replica.
   */
  @Subscription(() => Instance, { resolve: (payload: { instanceUpdated: unknown }) => payload.instanceUpdated })
  async *instanceUpdated(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string) {
    let last = '';
    const deadline = Date.now() + 60 * 60 * 1000;
    while (Date.now() < deadline) {
      const view = await this.instanceService.get(principal, id);
      const key = JSON.stringify([view.status, view.taskState, view.host, view.attempts, view.fault]);
      if (key !== last) {
        last = key;
        yield { instanceUpdated: view };
      }
      if (view.taskState === null && view.status !== 'BUILD') return;
      await sleep(100);
    }
  }

  @Query(() => [Flavor])
  flavors() {
    return this.db.getRepository(FlavorEntity).find({ order: { vcpus: 'ASC', ramMb: 'ASC' } });
  }

  @Query(() => [Image])
  images() {
    return this.imageService.list();
  }

  @Query(() => [Network])
  async networks() {
    return (await this.db.getRepository(NetworkEntity).find({ order: { name: 'ASC' } })).map(networkView);
  }

  @Query(() => [Host], { name: 'hosts' })
  @AdminOnly()
  hostList() {
    return this.hosts.list();
  }
}
