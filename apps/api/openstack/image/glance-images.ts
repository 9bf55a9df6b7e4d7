import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DataSource, In } from 'typeorm';
import { ImageExtra, type Image } from '../../../../core/db/entities/index.js';
import type { Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { ImagesService } from '../../images/images.service.js';
import { CORE_FIELDS, visibilityOf } from './image-view.js';

const VISIBILITIES = ['public', 'private', 'shared', 'community'];

export interface ImageFilter {
  name?: string;
  /** Glance's `id=in:a,b`. */
  ids?: string[];
  visibility?: string;
}

/**
 * Glance over the native ImagesService (records, the content-addressed store, upload and
 * delete rules); formats, properties and visibility are kept beside the image. Another
 * project's private (or shared: Nimbus has no image members) image is "not found".
 */
@Injectable()
export class GlanceImages {
  constructor(
    private readonly db: DataSource,
    readonly images: ImagesService,
  ) {}

  async list(principal: Principal, filter: ImageFilter): Promise<Array<[Image, ImageExtra | undefined]>> {
    const all = await this.images.list();
    const extras = await this.extras(all.map((i) => i.id));
    return all
      .map((i): [Image, ImageExtra | undefined] => [i, extras.get(i.id)])
      .filter(([i, x]) => this.visible(principal, i, x))
      .filter(([i]) => filter.name === undefined || i.name === filter.name)
      .filter(([i]) => filter.ids === undefined || filter.ids.includes(i.id))
      .filter(([i, x]) => filter.visibility === undefined || visibilityOf(i, x) === filter.visibility);
  }

  async get(principal: Principal, id: string): Promise<[Image, ImageExtra | undefined]> {
    const image = await this.images.get(id);
    const extra = (await this.extras([id])).get(id);
    if (!this.visible(principal, image, extra)) throw Problem.notFound('image', id);
    return [image, extra];
  }

  async create(principal: Principal, body: Record<string, unknown>): Promise<[Image, ImageExtra]> {
    const name = typeof body.name === 'string' ? body.name : '';
    const visibility = typeof body.visibility === 'string' ? body.visibility : 'shared';
    if (!VISIBILITIES.includes(visibility)) throw Problem.validation([{ field: 'visibility', message: 'invalid' }]);
    if (visibility === 'public' && !principal.isAdmin) throw Problem.forbidden('only the admin publishes images');
    const image = await this.images.create(name, principal.projectId);
    const properties = Object.fromEntries(Object.entries(body).filter(([k]) => !CORE_FIELDS.has(k)));
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const extra: ImageExtra = {
      imageId: image.id,
      visibility,
      diskFormat: str(body.disk_format),
      containerFormat: str(body.container_format),
      properties,
    };
    await this.db.getRepository(ImageExtra).save(extra);
    return [image, extra];
  }

  async upload(principal: Principal, id: string, body: Readable): Promise<void> {
    const [image] = await this.get(principal, id);
    this.ownerOnly(principal, image);
    await this.images.upload(id, body);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const [image] = await this.get(principal, id);
    this.ownerOnly(principal, image);
    await this.images.delete(id);
  }

  private visible(principal: Principal, i: Image, extra: ImageExtra | undefined): boolean {
    return principal.isAdmin || visibilityOf(i, extra) === 'public' || i.projectId === principal.projectId;
  }

  private ownerOnly(principal: Principal, i: Image): void {
    if (!principal.isAdmin && i.projectId !== principal.projectId) {
      throw Problem.forbidden(`image ${i.id} belongs to another project`);
    }
  }

  private async extras(ids: string[]): Promise<Map<string, ImageExtra>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.getRepository(ImageExtra).findBy({ imageId: In(ids) });
    return new Map(rows.map((r) => [r.imageId, r]));
  }
}
