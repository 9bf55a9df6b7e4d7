import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DataSource, In } from 'typeorm';
import { Image, ImageExtra } from '../../../../core/db/entities/index.js';
import { isUuid } from '../../../../core/ids.js';
import {
  ImageMembers,
  MEMBER_STATUSES,
  type ImageMember,
  type MemberStatus,
} from '../../../../core/images/image-members.js';
import type { Principal } from '../../common/auth.js';
import { Problem } from '../../common/problem.js';
import { ImagesService, duplicateName } from '../../images/images.service.js';
import { canChange, VISIBILITIES, type SeenImage } from '../../../../core/images/image-access.js';
import { isUniqueViolation } from '../../../../core/errors.js';
import type { ImageChanges } from './glance-patch.js';
import { CORE_FIELDS, visibilityOf } from './image-view.js';

export interface ImageFilter {
  name?: string;
  /** Which shared images to list: those the caller's project accepted (default), pending, rejected or all. */
  memberStatus?: string;
  /** Glance's `id=in:a,b`. */
  ids?: string[];
  visibility?: string;
}

/**
 * Glance over the native ImagesService (records, the content-addressed store, upload and
 * delete rules); formats, properties and visibility are kept beside the image. Another
 * project's private image is "not found"; a shared one is visible to its members
 * (core/images/image-members.ts), and listed for those that accepted it.
 */
@Injectable()
export class GlanceImages {
  readonly members: ImageMembers;

  constructor(
    private readonly db: DataSource,
    readonly images: ImagesService,
  ) {
    this.members = new ImageMembers(db);
  }

  async list(principal: Principal, filter: ImageFilter): Promise<Array<[Image, ImageExtra | undefined]>> {
    // Every image the caller sees by id (core/images/image-access.ts); shared ones of other
    // projects are listed by the caller's answer (member_status, default accepted).
    const seen = await this.images.catalog.list(principal, false);
    const extras = await this.extras(seen.map((s) => s.image.id));
    const wanted = filter.memberStatus ?? 'accepted';
    const listed = (s: SeenImage) =>
      principal.isAdmin ||
      s.visibility === 'public' ||
      s.image.projectId === principal.projectId ||
      wanted === 'all' ||
      s.membership === wanted;
    return seen
      .filter(listed)
      .map(({ image }): [Image, ImageExtra | undefined] => [image, extras.get(image.id)])
      .filter(([i]) => filter.name === undefined || i.name === filter.name)
      .filter(([i]) => filter.ids === undefined || filter.ids.includes(i.id))
      .filter(([i, x]) => filter.visibility === undefined || visibilityOf(i, x) === filter.visibility);
  }

  async get(principal: Principal, id: string): Promise<[Image, ImageExtra | undefined]> {
    const { image } = await this.images.get(principal, id);
    return [image, (await this.extras([id])).get(id)];
  }

  /** Glance's PATCH: the owner (or the admin) renames, changes visibility, formats and properties. */
  async update(principal: Principal, id: string, changes: ImageChanges): Promise<[Image, ImageExtra]> {
    const [image, found] = await this.get(principal, id);
    this.ownerOnly(principal, image);
    const visibility = changes.visibility ?? visibilityOf(image, found);
    if (!VISIBILITIES.includes(visibility)) throw Problem.validation([{ field: 'visibility', message: 'invalid' }]);
    if (changes.visibility === 'public' && !principal.isAdmin) throw Problem.forbidden('only the admin publishes');
    const properties = { ...(found?.properties ?? {}) };
    for (const [key, value] of Object.entries(changes.properties)) {
      if (value === null) delete properties[key];
      else properties[key] = value;
    }
    const extra: ImageExtra = {
      imageId: id,
      visibility,
      diskFormat: changes.diskFormat === undefined ? (found?.diskFormat ?? null) : changes.diskFormat,
      containerFormat:
        changes.containerFormat === undefined ? (found?.containerFormat ?? null) : changes.containerFormat,
      properties,
    };
    try {
      await this.db.transaction(async (tx) => {
        if (changes.name !== undefined) await tx.getRepository(Image).update({ id }, { name: changes.name });
        await tx.getRepository(ImageExtra).save(extra);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(changes.name ?? image.name);
      throw err;
    }
    return [await this.images.record(id), extra];
  }

  /** The owner shares a `shared` image with another project (Glance: 403 for other visibilities). */
  async addMember(principal: Principal, id: string, memberId: string): Promise<ImageMember> {
    const [image, extra] = await this.get(principal, id);
    this.ownerOnly(principal, image);
    if (visibilityOf(image, extra) !== 'shared') throw Problem.forbidden('only shared images have members');
    if (!isUuid(memberId)) throw Problem.validation([{ field: 'member', message: 'must be a project id' }]);
    return this.members.add(id, memberId);
  }

  /** The owner sees every member; a member sees its own entry only. */
  async listMembers(principal: Principal, id: string): Promise<ImageMember[]> {
    const [image] = await this.get(principal, id);
    const all = await this.members.list(id);
    if (principal.isAdmin || image.projectId === principal.projectId) return all;
    return all.filter((m) => m.memberId === principal.projectId);
  }

  /** A member accepts or rejects the image shared with it; nobody else may answer for it. */
  async answer(principal: Principal, id: string, memberId: string, status: string): Promise<ImageMember> {
    await this.get(principal, id);
    if (memberId !== principal.projectId) throw Problem.forbidden('only the member itself accepts or rejects');
    if (!(MEMBER_STATUSES as readonly string[]).includes(status)) {
      throw Problem.validation([{ field: 'status', message: `one of ${MEMBER_STATUSES.join(', ')}` }]);
    }
    const member = await this.members.setStatus(id, memberId, status as MemberStatus);
    if (!member) throw Problem.notFound('image member', memberId);
    return member;
  }

  async removeMember(principal: Principal, id: string, memberId: string): Promise<void> {
    const [image] = await this.get(principal, id);
    this.ownerOnly(principal, image);
    if (!(await this.members.remove(id, memberId))) throw Problem.notFound('image member', memberId);
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

  private ownerOnly(principal: Principal, i: Image): void {
    if (!canChange(principal, i)) {
      throw Problem.forbidden(`image ${i.id} belongs to another project`);
    }
  }

  private async extras(ids: string[]): Promise<Map<string, ImageExtra>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.getRepository(ImageExtra).findBy({ imageId: In(ids) });
    return new Map(rows.map((r) => [r.imageId, r]));
  }
}
