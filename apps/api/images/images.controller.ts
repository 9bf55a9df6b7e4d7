import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
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
import { CurrentPrincipal, type Principal } from '../common/auth.js';
import { Problem, ProblemTypes } from '../common/problem.js';
import { CreateImageDto } from './create-image.dto.js';
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

  @Get()
  async list() {
    return (await this.images.list()).map(imageView);
  }

  @Get(':id')
  @ApiProblems(404)
  async get(@Param('id') id: string) {
    return imageView(await this.images.get(id));
  }

  @Post()
  @HttpCode(201)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateImageDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const image = await this.images.create(body.name, principal.projectId);
    res.setHeader('Location', `/v1/images/${image.id}`);
    return imageView(image);
  }

  /**
   * The bytes, streamed: `curl -T file -H 'Content-Type: application/octet-stream'`.
   * Optional `X-Image-Sha256` is verified.
   */
  @Put(':id/file')
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiHeader({ name: 'x-image-sha256', required: false, schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } })
  @ApiProblems(400, 404, 409, 413, 422)
  async upload(@Param('id') id: string, @Req() req: Request, @Headers('x-image-sha256') sha256?: string) {
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) {
      throw Problem.validation([{ field: 'X-Image-Sha256', message: 'must be 64 lowercase hex digits' }]);
    }
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    return imageView(await this.images.upload(id, req, sha256, declared));
  }

  /** Direct download for compute nodes, with single-range support so a broken pull resumes. */
  @Get(':id/file')
  @ApiProblems(404, 409, 416)
  async download(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const image = await this.images.get(id);
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
  @ApiProblems(404, 409)
  async delete(@Param('id') id: string) {
    await this.images.delete(id);
  }
}
