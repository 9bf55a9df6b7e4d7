import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { CurrentPrincipal, Public, type Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { baseUrl, first } from '../common/endpoints.js';
import { GlanceErrors } from '../common/os-errors.js';
import { GlanceImages } from './glance-images.js';
import { imageChanges } from './glance-patch.js';
import { glanceImage } from './image-view.js';

const versions = (req: Request) => ({
  versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl(req)}/image/v2/` }] }],
});

/** Glance v2 at /image. */
@ApiExcludeController()
@UseFilters(GlanceErrors)
@Controller('image')
export class ImageController {
  constructor(private readonly glance: GlanceImages) {}

  @Public()
  @Get()
  versions(@Req() req: Request) {
    return versions(req);
  }

  @Public()
  @Get('versions')
  versionList(@Req() req: Request) {
    return versions(req);
  }

  @Get('v2/images')
  async list(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>) {
    const id = first(query.id);
    const ids = id === undefined ? undefined : id.startsWith('in:') ? id.slice(3).split(',') : [id];
    const found = await this.glance.list(principal, {
      name: first(query.name),
      ids,
      visibility: first(query.visibility),
      memberStatus: first(query.member_status),
    });
    return { images: found.map(([i, x]) => glanceImage(i, x)), first: '/v2/images', schema: '/v2/schemas/images' };
  }

  @Get('v2/images/:id')
  async show(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return glanceImage(...(await this.glance.get(principal, id)));
  }

  @Post('v2/images')
  @HttpCode(201)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: Record<string, unknown>) {
    return glanceImage(...(await this.glance.create(principal, body ?? {})));
  }

  /** `openstack image set`: a JSON patch (application/openstack-images-v2.1-json-patch). */
  @Patch('v2/images/:id')
  async update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() ops: unknown) {
    return glanceImage(...(await this.glance.update(principal, id, imageChanges(ops))));
  }

  @Put('v2/images/:id/file')
  @HttpCode(204)
  async upload(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Req() req: Request) {
    await this.glance.upload(principal, id, req);
  }

  @Get('v2/images/:id/file')
  async download(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() res: Response) {
    const [image] = await this.glance.get(principal, id);
    if (image.status !== 'active' || !image.sha256) throw Problem.notFound('image data', id);
    res.status(200);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(image.sizeBytes));
    await pipeline(this.glance.images.store.createReadStream(image.sha256, {}), res).catch(() => res.destroy());
  }

  @Delete('v2/images/:id')
  @HttpCode(204)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    await this.glance.delete(principal, id);
  }
}
