import { Resolver } from '@nestjs/graphql';
import { ListResolver } from '../graphql/list-resolver.js';
import { Host } from './host.model.js';
import { HostsService } from './hosts.service.js';

/** `hosts` (admin), as GET /v1/hosts. */
@Resolver(() => Host)
export class HostsResolver extends ListResolver(Host, 'hosts', HostsService, { adminOnly: true }) {}
