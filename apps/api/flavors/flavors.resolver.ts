import { Resolver } from '@nestjs/graphql';
import { ListResolver } from '../graphql/list-resolver.js';
import { Flavor } from './flavor.model.js';
import { FlavorsService } from './flavors.service.js';

/** `flavors`, as GET /v1/flavors. */
@Resolver(() => Flavor)
export class FlavorsResolver extends ListResolver(Flavor, 'flavors', FlavorsService) {}
