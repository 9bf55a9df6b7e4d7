import type { DataSource } from 'typeorm';
import { Image } from '../db/entities/index.js';
import { isUuid } from '../ids.js';
import type { MemberStatus } from './image-members.js';

/**
 * Who an image is shown to, Glance's model, for both APIs (/v1 and /image): `public` images
 * (the seeds, and what the admin publishes) to everyone; `private` ones to their owner;
 * `shared` ones to their owner and the projects it names (core/images/image-members.ts),
 * by id at once and in lists once accepted. The admin sees everything. Only the owner or
 * the admin changes, uploads into or deletes an image.
 */
export interface ImageViewer {
  projectId: string;
  isAdmin: boolean;
  /** A service credential's scope: `image:read` reads every image's file and nothing else. */
  scope?: string | null;
}

export const IMAGE_READ_SCOPE = 'image:read';
export const VISIBILITIES: readonly string[] = ['public', 'private', 'shared', 'community'];

/** As set through either API, else public for the seeds (no owner) and private otherwise. */
export function visibilityOf(i: Pick<Image, 'projectId'>, visibility: string | null | undefined): string {
  return visibility ?? (i.projectId ? 'private' : 'public');
}

/**
 * Whether the viewer sees the image: `listing` asks for an image list, where a shared image
 * shows once the viewer's project accepted it; by id, any membership will do.
 */
export function canSee(
  viewer: ImageViewer,
  image: Pick<Image, 'projectId'>,
  visibility: string,
  membership: MemberStatus | null | undefined,
  listing = false,
): boolean {
  if (viewer.isAdmin || image.projectId === viewer.projectId || visibility === 'public') return true;
  if (visibility !== 'shared' || !membership) return false;
  return !listing || membership === 'accepted';
}

/** The owner or the admin: who may change, upload into or delete an image. */
export function canChange(viewer: ImageViewer, image: Pick<Image, 'projectId'>): boolean {
  return viewer.isAdmin || (image.projectId !== null && image.projectId === viewer.projectId);
}

/** An image with what its viewer needs to know about it. */
export interface SeenImage {
  image: Image;
  visibility: string;
  /** The viewer's project's membership of a shared image. */
  membership: MemberStatus | null;
}

type Row = Record<string, unknown> & { visibility: string | null; membership: MemberStatus | null };

const SELECT = `SELECT i.id, i.name, i.status, i.size_bytes, i.sha256, i.project_id, i.created_at, i.updated_at,
    x.visibility, m.status AS membership
  FROM images i LEFT JOIN image_extras x ON x.image_id = i.id
  LEFT JOIN image_members m ON m.image_id = i.id AND m.member_id = $1
  WHERE i.status <> 'deleted'`;

function seen(r: Row): SeenImage {
  const image = Object.assign(new Image(), {
    id: r.id,
    name: r.name,
    status: r.status,
    sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
    sha256: r.sha256,
    projectId: r.project_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
  return { image, visibility: visibilityOf(image, r.visibility), membership: r.membership };
}

/** Images as one viewer sees them: the one place the visibility rules meet the database. */
export class ImageCatalog {
  constructor(private readonly db: DataSource) {}

  /**
   * Every image the viewer may list, oldest first; `listing: false` adds the shared images it
   * has not accepted (yet), as Glance's `member_status` filter wants them.
   */
  async list(viewer: ImageViewer, listing = true): Promise<SeenImage[]> {
    const rows: Row[] = await this.db.query(`${SELECT} ORDER BY i.created_at, i.id`, [viewer.projectId]);
    return rows.map(seen).filter((s) => canSee(viewer, s.image, s.visibility, s.membership, listing));
  }

  /** The image by id when the viewer may see it (a service credential with `image:read` sees all). */
  async byId(viewer: ImageViewer, id: string): Promise<SeenImage | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db.query<Row[]>(`${SELECT} AND i.id = $2`, [viewer.projectId, id]);
    if (!row) return null;
    const s = seen(row);
    return viewer.scope === IMAGE_READ_SCOPE || canSee(viewer, s.image, s.visibility, s.membership) ? s : null;
  }

  /**
   * What a build by name boots: the viewer's own image first, then a public one, then one
   * shared with the viewer's project and accepted. Never an image the viewer cannot see.
   */
  async byName(viewer: ImageViewer, name: string): Promise<SeenImage | null> {
    const rows: Row[] = await this.db.query(`${SELECT} AND i.name = $2 ORDER BY i.created_at, i.id`, [
      viewer.projectId,
      name,
    ]);
    const candidates = rows.map(seen);
    const rank = (s: SeenImage) =>
      s.image.projectId === viewer.projectId ? 0 : s.visibility === 'public' ? 1 : s.membership === 'accepted' ? 2 : 3;
    const usable = candidates.filter((s) => rank(s) < 3).sort((a, b) => rank(a) - rank(b));
    return usable[0] ?? null;
  }

  /** By id, else by name: how builds and the APIs resolve an image reference. */
  async resolve(viewer: ImageViewer, ref: string): Promise<SeenImage | null> {
    return (await this.byId({ ...viewer, scope: null }, ref)) ?? (await this.byName(viewer, ref));
  }
}
