import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Put,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { Counter } from 'prom-client';
import { contentRange, parseRange } from '../../../core/images/range.js';
import { AllowScope, CurrentPrincipal, type Principal } from '../common/auth.js';
import { IMAGE_READ_SCOPE } from '../../../core/images/image-access.js';
import { Problem, ProblemTypes } from '../common/problem.js';
import { CreateImageDto, UpdateImageDto } from './create-image.dto.js';
import { ImagesService, imageView } from './images.service.js';
import { ApiProblems } from '../common/api-problems.js';

const downloads = new Counter({
  name: 'nimbus_image_downloads_total',
  help: 'image file downloads served',
  labelNames: ['image', 'kind'],
});

@ApiTags('images')
@ApiBearerAuth()
@Controller('v1/images')
export class ImagesController {
  constructor(private readonly images: ImagesService) {}

  /** The caller's images, the public ones, and those shared with its project that it accepted. */
  @Get()
  async list(@CurrentPrincipal() principal: Principal) {
    return (await this.images.list(principal)).map(imageView);
  }

  @Get(':id')
  @ApiProblems(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return imageView(await this.images.get(principal, id));
  }

  @Post()
  @HttpCode(201)
  @ApiProblems(400, 403, 409)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateImageDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (body.visibility === 'public' && !principal.isAdmin) throw Problem.forbidden('only the admin publishes images');
    const image = await this.images.create(body.name, principal.projectId, body.visibility);
    res.setHeader('Location', `/v1/images/${image.id}`);
    return imageView(await this.images.get(principal, image.id));
  }

  @Patch(':id')
  @ApiProblems(400, 403, 404, 409)
  async update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateImageDto) {
    return imageView(await this.images.update(principal, id, body));
  }

  /**
   * The bytes, streamed: `curl -T file -H 'Content-Type: application/octet-stream'`.
   * Optional `X-Image-Sha256` is verified.
   */
  @Put(':id/file')
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiHeader({ name: 'x-image-sha256', required: false, schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } })
  @ApiProblems(400, 403, 404, 409, 413, 422)
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Req() req: Request,
    @Headers('x-image-sha256') sha256?: string,
  ) {
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) {
      throw Problem.validation([{ field: 'X-Image-Sha256', message: 'must be 64 lowercase hex digits' }]);
    }
    const { visibility } = await this.images.getOwned(principal, id);
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    return imageView({ image: await this.images.upload(id, req, sha256, declared), visibility });
  }

  /**
   * Direct download for compute nodes (their `image:read` service credential reads every
   * image's file), with single-range support so a broken pull resumes.
   */
  @Get(':id/file')
  @ApiProblems(404, 409, 416)
  @AllowScope(IMAGE_READ_SCOPE)
  async download(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const { image } = await this.images.get(principal, id);
    if (image.status !== 'active' || !image.sha256)
      throw Problem.conflict(`image ${id} has no bytes yet (${image.status})`);
    const size = image.sizeBytes!;
    const range = parseRange(req.headers.range, size);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', `"${image.sha256}"`);
    res.setHeader('Content-Type', 'application/octet-stream');
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', contentRange(range, size));
      const status = HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE;
      throw new Problem(
        status,
        ProblemTypes.rangeNotSatisfiable,
        'Range not satisfiable',
        `the image has ${size} bytes`,
      );
    }
    downloads.inc({ image: image.id, kind: range ? 'range' : 'full' });
    if (range) {
      res.status(HttpStatus.PARTIAL_CONTENT);
      res.setHeader('Content-Range', contentRange(range, size));
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    } else {
      res.status(HttpStatus.OK);
      res.setHeader('Content-Length', String(size));
    }
    await pipeline(this.images.store.createReadStream(image.sha256, range ?? {}), res).catch(() => res.destroy());
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiProblems(403, 404, 409)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    await this.images.getOwned(principal, id);
    await this.images.delete(id);
  }
}
