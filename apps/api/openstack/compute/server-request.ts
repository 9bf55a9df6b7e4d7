import type { BuildRequest } from '../../../../core/instances/build-request.js';
import { Problem } from '../../common/problem.js';

interface BlockDevice {
  boot_index?: number | string | null;
  uuid?: string;
  source_type?: string;
  destination_type?: string;
  volume_size?: number | string;
}

/** The body of Nova's POST /servers, as far as Nimbus reads it. */
export interface NovaServerCreate {
  server?: {
    name?: unknown;
    imageRef?: string;
    flavorRef?: string | number;
    networks?: Array<{ uuid?: string; port?: string }> | 'auto' | 'none';
    block_device_mapping_v2?: BlockDevice[];
    metadata?: Record<string, unknown>;
    key_name?: string | null;
    user_data?: string | null;
  };
}

export interface ServerExtras {
  metadata: Record<string, string>;
  keyName: string | null;
  userData: string | null;
}

const bad = (field: string, message: string) => Problem.validation([{ field, message }]);

/** The build's volume from block_device_mapping_v2: a new one of `volume_size`, or an existing `uuid`. */
function volumeOf(bdm: BlockDevice[], imageRef?: string): { image?: string; volume?: BuildRequest['volume'] } {
  const volumes = bdm.filter((b) => b.destination_type === 'volume');
  if (volumes.length > 1) throw bad('block_device_mapping_v2', 'Nimbus attaches at most one volume at build time');
  const image = bdm.find((b) => b.source_type === 'image')?.uuid ?? imageRef;
  const [v] = volumes;
  if (!v) return { image };
  if (v.source_type === 'volume') {
    if (!v.uuid) throw bad('block_device_mapping_v2.uuid', 'a volume source needs the volume uuid');
    return { image, volume: { id: v.uuid } };
  }
  const sizeGb = Number(v.volume_size);
  if (!Number.isInteger(sizeGb) || sizeGb < 1) throw bad('block_device_mapping_v2.volume_size', 'a whole number ≥ 1');
  return { image, volume: { sizeGb } };
}

function metadataOf(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('metadata', 'must be an object');
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => {
      if (typeof v !== 'string' || k.length > 255 || v.length > 255)
        throw bad(`metadata.${k}`, 'keys and values are strings of at most 255 characters');
      return [k, v];
    }),
  );
}

/**
 * Nova's server create as Nimbus's build request: one network (by uuid, or the network of a
 * port), the image or a block device's image, and at most one volume.
 */
export async function toBuildRequest(
  body: NovaServerCreate,
  networkOfPort: (portId: string) => Promise<string>,
): Promise<{ build: BuildRequest; extras: ServerExtras }> {
  const s = body?.server;
  if (!s || typeof s !== 'object') throw bad('server', 'required');
  if (typeof s.name !== 'string' || s.name.trim() === '') throw bad('server.name', 'required');
  if (s.flavorRef === undefined || s.flavorRef === '') throw bad('server.flavorRef', 'required');
  const { image, volume } = volumeOf(s.block_device_mapping_v2 ?? [], s.imageRef || undefined);
  if (!image) throw bad('server.imageRef', 'an image (imageRef or an image block device) is required');
  const nets = Array.isArray(s.networks) ? s.networks : [];
  if (nets.length > 1) throw bad('server.networks', 'Nimbus servers have one network');
  const [net] = nets;
  const network = net?.uuid ?? (net?.port ? await networkOfPort(net.port) : 'default');
  return {
    build: { name: s.name, flavor: String(s.flavorRef), image, network, ...(volume ? { volume } : {}) },
    extras: { metadata: metadataOf(s.metadata), keyName: s.key_name ?? null, userData: s.user_data ?? null },
  };
}
