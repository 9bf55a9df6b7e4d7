import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { Flavor, Image, Network } from '../db/entities/index.js';
import { ValidationError } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface BuildRequest {
  name: string;
  flavor: string;
  image: string;
  network: string;
  volume?: { sizeGb: number };
}

export interface ResolvedBuild {
  flavor: Flavor;
  image: Image;
  network: Network;
}

async function byNameOrId<T extends ObjectLiteral & { id: string; name: string }>(
  db: DataSource,
  entity: EntityTarget<T>,
  field: string,
  ref: string,
): Promise<T> {
  const repo = db.getRepository(entity);
  const found = (UUID.test(ref) ? await repo.findOneBy({ id: ref } as never) : null) ?? (await repo.findOneBy({ name: ref } as never));
  if (!found) throw new ValidationError(field, `no ${field} named or with id "${ref}"`);
  return found;
}

/** Everything a build refers to, checked before anything is written or started. */
export async function resolveBuildRequest(db: DataSource, req: BuildRequest): Promise<ResolvedBuild> {
  const [flavor, image, network] = await Promise.all([
    byNameOrId(db, Flavor, 'flavor', req.flavor),
    byNameOrId(db, Image, 'image', req.image),
    byNameOrId(db, Network, 'network', req.network),
  ]);
  if (image.status !== 'active' || !image.sha256 || image.sizeBytes === null) {
    throw new ValidationError('image', `image ${image.name} is ${image.status}: upload its bytes first`);
  }
  return { flavor, image, network };
}
