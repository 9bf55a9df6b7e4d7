import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { Flavor, type Image, Network, Volume } from '../db/entities/index.js';
import { ImageCatalog, type ImageViewer } from '../images/image-access.js';
import { ValidationError } from '../errors.js';
import { isUuid } from '../ids.js';

export interface BuildRequest {
  name: string;
  flavor: string;
  image: string;
  network: string;
  /** A new volume of `sizeGb`, or the existing standalone volume `id` of the caller's project. */
  volume?: { sizeGb?: number; id?: string };
}

export interface ResolvedBuild {
  flavor: Flavor;
  image: Image;
  network: Network;
  /** The existing volume the build attaches, when it names one. */
  volume: Volume | null;
}

async function byNameOrId<T extends ObjectLiteral & { id: string; name: string }>(
  db: DataSource,
  entity: EntityTarget<T>,
  field: string,
  ref: string,
): Promise<T> {
  const repo = db.getRepository(entity);
  const found =
    (isUuid(ref) ? await repo.findOneBy({ id: ref } as never) : null) ?? (await repo.findOneBy({ name: ref } as never));
  if (!found) throw new ValidationError(field, `no ${field} named or with id "${ref}"`);
  return found;
}

/**
 * An existing volume must be the project's own, standalone (a build's volume belongs to its
 * instance) and available now; the build's reservation settles any race after this check.
 */
async function existingVolume(db: DataSource, id: string, projectId: string | undefined): Promise<Volume> {
  const volume = isUuid(id) ? await db.getRepository(Volume).findOneBy({ id }) : null;
  if (!volume || volume.status === 'deleted' || (projectId !== undefined && volume.projectId !== projectId)) {
    throw new ValidationError('volume.id', `no volume with id "${id}" in your project`);
  }
  if (volume.deleteOnTermination) throw new ValidationError('volume.id', `volume ${id} belongs to another instance`);
  if (volume.status !== 'available')
    throw new ValidationError('volume.id', `volume ${id} is ${volume.status}, not available`);
  return volume;
}

/**
 * The image a build boots: by id or name, only one the caller sees, its own before a public
 * one before one shared with it (core/images/image-access.ts). Another project's private image
 * is "no image", as if it did not exist.
 */
async function visibleImage(db: DataSource, ref: string, viewer: ImageViewer): Promise<Image> {
  const seen = await new ImageCatalog(db).resolve(viewer, ref);
  if (!seen) throw new ValidationError('image', `no image named or with id "${ref}"`);
  return seen.image;
}

/** Everything a build refers to, checked before anything is written or started. */
export async function resolveBuildRequest(
  db: DataSource,
  req: BuildRequest,
  viewer: ImageViewer,
): Promise<ResolvedBuild> {
  const [flavor, image, network, volume] = await Promise.all([
    byNameOrId(db, Flavor, 'flavor', req.flavor),
    visibleImage(db, req.image, viewer),
    byNameOrId(db, Network, 'network', req.network),
    req.volume?.id !== undefined ? existingVolume(db, req.volume.id, viewer.projectId) : null,
  ]);
  if (image.status !== 'active' || !image.sha256 || image.sizeBytes === null) {
    throw new ValidationError('image', `image ${image.name} is ${image.status}: upload its bytes first`);
  }
  return { flavor, image, network, volume };
}
