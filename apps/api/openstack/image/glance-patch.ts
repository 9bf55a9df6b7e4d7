import { Problem } from '../../common/problem.js';

/** What an image's JSON patch may change (the rest of CORE_FIELDS are Glance's own and read-only here). */
export interface ImageChanges {
  name?: string;
  visibility?: string;
  diskFormat?: string | null;
  containerFormat?: string | null;
  /** Free-form properties set (a value) or removed (null). */
  properties: Record<string, unknown>;
}

const READ_ONLY = new Set(['id', 'status', 'owner', 'size', 'checksum', 'created_at', 'updated_at', 'file', 'self']);
const IGNORED = new Set(['protected', 'tags', 'min_disk', 'min_ram', 'os_hidden']);

/**
 * Glance v2's image update (`PATCH /v2/images/{id}`, media type
 * `application/openstack-images-v2.1-json-patch`): a list of `add` / `replace` / `remove`
 * operations on `/name`, `/visibility`, `/disk_format`, `/container_format` and free-form
 * properties (`/<key>`). Read-only fields are refused with 403, as Glance does.
 */
export function imageChanges(ops: unknown): ImageChanges {
  if (!Array.isArray(ops))
    throw Problem.validation([{ field: 'body', message: 'a JSON patch (a list of operations)' }]);
  const changes: ImageChanges = { properties: {} };
  for (const op of ops as Array<{ op?: unknown; path?: unknown; value?: unknown }>) {
    const key = typeof op?.path === 'string' ? op.path.replace(/^\//, '').replace(/~1/g, '/').replace(/~0/g, '~') : '';
    if (!key || !['add', 'replace', 'remove'].includes(String(op.op))) {
      throw Problem.validation([{ field: 'body', message: `unsupported operation ${JSON.stringify(op)}` }]);
    }
    if (READ_ONLY.has(key)) throw Problem.forbidden(`attribute ${key} is read-only`);
    if (IGNORED.has(key)) continue;
    const value = op.op === 'remove' ? null : op.value;
    if (key === 'name' || key === 'visibility') {
      if (typeof value !== 'string') throw Problem.validation([{ field: key, message: 'must be a string' }]);
      changes[key] = value;
    } else if (key === 'disk_format') changes.diskFormat = typeof value === 'string' ? value : null;
    else if (key === 'container_format') changes.containerFormat = typeof value === 'string' ? value : null;
    else changes.properties[key] = value ?? null;
  }
  return changes;
}
