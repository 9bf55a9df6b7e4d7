import { Inject, type Type } from '@nestjs/common';
import { Query } from '@nestjs/graphql';
import { AdminOnly } from '../common/auth.js';

interface Lists {
  list(): Promise<unknown[]>;
}

/**
 * The base of a resolver whose one query lists a resource through its service, as its REST
 * list does (flavors, images, networks, hosts). The resolver is the subclass, as in Nest's
 * "resolver inheritance": `@Resolver(() => Flavor) class FlavorsResolver extends ListResolver(...) {}`.
 */
export function ListResolver(
  type: Type<unknown>,
  query: string,
  service: Type<Lists>,
  opts: { adminOnly?: boolean } = {},
): Type<object> {
  class ListResolverHost {
    constructor(@Inject(service) readonly service: Lists) {}

    list() {
      return this.service.list();
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(ListResolverHost.prototype, 'list')!;
  if (opts.adminOnly) AdminOnly()(ListResolverHost.prototype, 'list', descriptor);
  Query(() => [type], { name: query })(ListResolverHost.prototype, 'list', descriptor);
  return ListResolverHost;
}
