import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { Flavor, Image, Network, Volume } from '../db/entities/index.js';
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

/** Everything a build refers to, checked before anything is written or started. */
export async function resolveBuildRequest(
  db: DataSource,
  req: BuildRequest,
  projectId?: string,
): Promise<ResolvedBuild> {
  const [flavor, image, network, volume] = await Promise.all([
    byNameOrId(db, Flavor, 'flavor', req.flavor),
    byNameOrId(db, Image, 'image', req.image),
    byNameOrId(db, Network, 'network', req.network),
    req.volume?.id !== undefined ? existingVolume(db, req.volume.id, projectId) : null,
  ]);
  if (image.status !== 'active' || !image.sha256 || image.sizeBytes === null) {
    throw new ValidationError('image', `image ${image.name} is ${image.status}: upload its bytes first`);
  }
  return { flavor, image, network, volume };
}
