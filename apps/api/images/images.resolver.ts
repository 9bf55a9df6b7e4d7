import { Resolver } from '@nestjs/graphql';
import { ListResolver } from '../graphql/list-resolver.js';
import { Image } from './image.model.js';
import { ImagesService } from './images.service.js';

/** `images`, as GET /v1/images. */
@Resolver(() => Image)
export class ImagesResolver extends ListResolver(Image, 'images', ImagesService) {}
