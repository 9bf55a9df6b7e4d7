import { Args, ID, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { setTimeout as sleep } from 'node:timers/promises';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { idempotencyKeyArg } from '../common/idempotency-key.js';
import { CreateInstanceDto } from './create-instance.dto.js';
import { Instance } from './instance.model.js';
import { InstanceVolumesService } from './instance-volumes.service.js';
import { InstancesService } from './instances.service.js';

/** GraphQL over the same service as REST: one set of rules, two ways in. */
@Resolver(() => Instance)
export class InstancesResolver {
  constructor(
    private readonly service: InstancesService,
    private readonly volumes: InstanceVolumesService,
  ) {}

  @Query(() => [Instance])
  instances(
    @CurrentPrincipal() principal: Principal,
    @Args('status', { nullable: true }) status?: string,
    @Args('host', { nullable: true }) host?: string,
  ) {
    return this.service.list(principal, { status, host });
  }

  @Query(() => Instance)
  instance(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.service.get(principal, id);
  }

  @Mutation(() => Instance)
  async createInstance(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: CreateInstanceDto,
    @Args('idempotencyKey', { nullable: true }, idempotencyKeyArg) idempotencyKey?: string,
  ) {
    return (await this.service.create(principal, input, idempotencyKey)).instance;
  }

  @Mutation(() => Instance)
  deleteInstance(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.service.delete(principal, id);
  }

  /** Attaches an available volume to an ACTIVE instance; the AttachVolume workflow finishes it. */
  @Mutation(() => Instance)
  attachVolume(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
    @Args('volumeId', { type: () => ID }) volumeId: string,
  ) {
    return this.volumes.attach(principal, id, volumeId);
  }

  /** Detaches a volume from an ACTIVE instance; the DetachVolume workflow finishes it. */
  @Mutation(() => Instance)
  detachVolume(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
    @Args('volumeId', { type: () => ID }) volumeId: string,
  ) {
    return this.volumes.detach(principal, id, volumeId);
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
      const view = await this.service.get(principal, id);
      const key = JSON.stringify([view.status, view.taskState, view.host, view.attempts, view.fault]);
      if (key !== last) {
        last = key;
        yield { instanceUpdated: view };
      }
      if (view.taskState === null && view.status !== 'BUILD') return;
      await sleep(100);
    }
  }
}
