import type { Image, ImageExtra } from '../../../../core/db/entities/index.js';
import { isoSeconds } from '../common/endpoints.js';
import { visibilityOf as visibilityOfImage } from '../../../../core/images/image-access.js';

/** Fields of a Glance image body that are not free-form properties. */
export const CORE_FIELDS = new Set([
  'id',
  'name',
  'visibility',
  'disk_format',
  'container_format',
  'protected',
  'tags',
  'min_disk',
  'min_ram',
  'os_hidden',
]);

/** An image's visibility: as set through Glance, else public for the seeds (no owner) and private otherwise. */
export function visibilityOf(i: Image, extra: ImageExtra | undefined): string {
  return visibilityOfImage(i, extra?.visibility);
}

/** Glance v2's image: its status names are ours (queued, saving, active, deleted). */
export function glanceImage(i: Image, extra: ImageExtra | undefined) {
  return {
    ...(extra?.properties ?? {}),
    id: i.id,
    name: i.name,
    status: i.status,
    visibility: visibilityOf(i, extra),
    protected: false,
    os_hidden: false,
    owner: i.projectId,
    size: i.sizeBytes === null ? null : Number(i.sizeBytes),
    virtual_size: null,
    checksum: null,
    os_hash_algo: i.sha256 ? 'sha256' : null,
    os_hash_value: i.sha256,
    disk_format: extra?.diskFormat ?? (i.projectId ? null : 'raw'),
    container_format: extra?.containerFormat ?? (i.projectId ? null : 'bare'),
    min_disk: 0,
    min_ram: 0,
    tags: [],
    created_at: isoSeconds(i.createdAt),
    updated_at: isoSeconds(i.updatedAt),
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  };
}
