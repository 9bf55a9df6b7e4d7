import { Args, ID, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { InstanceChangeFeed, mapIterator, watchView } from '../../../core/instances/instance-changes.js';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { uuidParam } from '../common/params.js';
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
    private readonly feed: InstanceChangeFeed,
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
  instance(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }, uuidParam) id: string) {
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
  deleteInstance(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }, uuidParam) id: string) {
    return this.service.delete(principal, id);
  }

  /** Attaches an available volume to an ACTIVE instance; the AttachVolume workflow finishes it. */
  @Mutation(() => Instance)
  attachVolume(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }, uuidParam) id: string,
    @Args('volumeId', { type: () => ID }, uuidParam) volumeId: string,
  ) {
    return this.volumes.attach(principal, id, volumeId);
  }

  /** Detaches a volume from an ACTIVE instance; the DetachVolume workflow finishes it. */
  @Mutation(() => Instance)
  detachVolume(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }, uuidParam) id: string,
    @Args('volumeId', { type: () => ID }, uuidParam) volumeId: string,
  ) {
    return this.volumes.detach(principal, id, volumeId);
  }

  /**
   * Pushes the instance each time its status, task state, host, attempts or fault change,
   * and ends once the build (or delete) has settled. It re-reads what GET reads only when the
   * database announces a change of this instance (InstanceChangeFeed), so an idle or closed
   * subscription costs no query, and it sees the writes of any API replica.
   */
  @Subscription(() => Instance, { resolve: (payload: { instanceUpdated: unknown }) => payload.instanceUpdated })
  instanceUpdated(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }, uuidParam) id: string) {
    const views = watchView({
      subscribe: (wake) => this.feed.watch(id, wake),
      read: () => this.service.get(principal, id),
      key: (v) => JSON.stringify([v.status, v.taskState, v.host, v.attempts, v.fault]),
      settled: (v) => v.taskState === null && v.status !== 'BUILD',
      maxLifetimeMs: 60 * 60 * 1000,
    });
    return mapIterator(views, (view) => ({ instanceUpdated: view }));
  }
}
