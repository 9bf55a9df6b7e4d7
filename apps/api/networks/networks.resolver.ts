import { Resolver } from '@nestjs/graphql';
import { ListResolver } from '../graphql/list-resolver.js';
import { Network } from './network.model.js';
import { NetworksService } from './networks.service.js';

/** `networks`, as GET /v1/networks. */
@Resolver(() => Network)
export class NetworksResolver extends ListResolver(Network, 'networks', NetworksService) {}
