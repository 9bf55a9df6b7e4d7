import { HttpStatus, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { Image } from '../../../core/db/entities/index.js';
import { ImageStore } from '../../../core/images/image-store.js';
import { SEED_IMAGE_NAME, seedImageStream } from '../../../core/images/seed-image.js';
import type { Logger } from '../../../core/logger.js';
import { LOGGER } from '../common/core.module.js';
import { Problem } from '../common/problem.js';
import { isUuid } from '../../../core/ids.js';

export function imageView(i: Image) {
  const { id, name, status, sizeBytes, sha256, createdAt, updatedAt } = i;
  return { id, name, status, sizeBytes, sha256, createdAt, updatedAt };
}

/** The Glance role: image metadata in Postgres, bytes content-addressed on disk. */
@Injectable()
export class ImagesService implements OnModuleInit {
  constructor(
    private readonly db: DataSource,
    readonly store: ImageStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** The seed image: real bytes with a real checksum, made once. */
  async onModuleInit(): Promise<void> {
    await this.store.removeStaleTemp();
    const repo = this.db.getRepository(Image);
    const existing = await repo.findOneBy({ name: SEED_IMAGE_NAME });
    if (existing?.status === 'active' && existing.sha256 && (await this.store.has(existing.sha256))) return;
    const stored = await this.store.put(seedImageStream());
    if (existing)
      await repo.update({ id: existing.id }, { status: 'active', sha256: stored.sha256, sizeBytes: stored.sizeBytes });
    else
      await repo.insert({
        name: SEED_IMAGE_NAME,
        status: 'active',
        sha256: stored.sha256,
        sizeBytes: stored.sizeBytes,
        projectId: null,
      });
    this.log.info({ sha256: stored.sha256, sizeBytes: stored.sizeBytes }, 'seed image cirros ready');
  }

  list(): Promise<Image[]> {
    return this.db
      .getRepository(Image)
      .find({ where: {}, order: { createdAt: 'ASC' } })
      .then((all) => all.filter((i) => i.status !== 'deleted'));
  }

  async get(id: string): Promise<Image> {
    const image = isUuid(id) ? await this.db.getRepository(Image).findOneBy({ id }) : null;
    if (!image || image.status === 'deleted') throw Problem.notFound('image', id);
    return image;
  }

  async create(name: string, projectId: string): Promise<Image> {
    const repo = this.db.getRepository(Image);
    const image = repo.create({ name, status: 'queued', projectId, sha256: null, sizeBytes: null });
    await repo.insert(image);
    return this.get(image.id);
  }

  /** Streams the upload into the store (constant memory); the image becomes active with its digest. */
  async upload(id: string, body: Readable, expectedSha256?: string): Promise<Image> {
    const image = await this.get(id);
    if (image.status !== 'queued') throw Problem.conflict(`image ${id} is ${image.status}; its bytes are immutable`);
    const [, claimed] = await this.db.query<[unknown, number]>(
      `UPDATE images SET status = 'saving' WHERE id = $1 AND status = 'queued'`,
      [id],
    );
    if (claimed === 0) throw Problem.conflict(`image ${id} is being uploaded by another request`);
    try {
      const stored = await this.store.put(body, { expectedSha256 });
      await this.db
        .getRepository(Image)
        .update({ id }, { status: 'active', sha256: stored.sha256, sizeBytes: stored.sizeBytes });
    } catch (err) {
      await this.db.getRepository(Image).update({ id }, { status: 'queued' });
      if ((err as { code?: string }).code === 'ImageChecksumMismatch') {
        const type = 'urn:nimbus:problem:image-checksum-mismatch';
        throw new Problem(HttpStatus.UNPROCESSABLE_ENTITY, type, 'Checksum mismatch', (err as Error).message);
      }
      throw err;
    }
    return this.get(id);
  }

  /** Refused while a build uses the image; the bytes go when no other image shares them. */
  async delete(id: string): Promise<void> {
    const image = await this.get(id);
    const [building] = await this.db.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM instances WHERE image_id = $1 AND status = 'BUILD'`,
      [id],
    );
    if (building.n > 0) throw Problem.conflict(`image ${image.name} is used by ${building.n} instance(s) being built`);
    await this.db.getRepository(Image).update({ id }, { status: 'deleted' });
    if (image.sha256) {
      const [shared] = await this.db.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM images WHERE sha256 = $1 AND status <> 'deleted'`,
        [image.sha256],
      );
      if (shared.n === 0) await this.store.remove(image.sha256);
    }
  }
}
