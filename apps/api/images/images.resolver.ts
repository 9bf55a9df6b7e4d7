import { Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { Image } from './image.model.js';
import { ImagesService, imageView } from './images.service.js';

/** `images`, as GET /v1/images: what the caller's project may list. */
@Resolver(() => Image)
export class ImagesResolver {
  constructor(private readonly images: ImagesService) {}

  @Query(() => [Image], { name: 'images' })
  async list(@CurrentPrincipal() principal: Principal) {
    return (await this.images.list(principal)).map(imageView);
  }
}
