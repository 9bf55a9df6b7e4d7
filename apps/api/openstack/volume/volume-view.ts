import type { VolumeView } from '../../volumes/volume-view.js';
import { novaTime } from '../common/endpoints.js';

export const VOLUME_VERSION = (base: string) => ({
  id: 'v3.0',
  status: 'CURRENT',
  version: '3.0',
  min_version: '3.0',
  updated: '2016-02-08T12:20:21Z',
  links: [{ rel: 'self', href: `${base}/volume/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
});

/** Nova and Cinder name the guest's disk by its path: `/dev/vdb`. */
export const devicePath = (device: string | null) =>
  !device ? '' : device.startsWith('/') ? device : `/dev/${device}`;

/**
 * Nova's and Cinder's attachment of a volume: Nova 2.1 names an attachment by its volume's
 * id, and so do we (a Nimbus volume has at most one attachment).
 */
export function attachmentOf(v: VolumeView) {
  if (!v.instanceId) return [];
  return [
    {
      id: v.id,
      attachment_id: v.id,
      volume_id: v.id,
      server_id: v.instanceId,
      device: devicePath(v.device),
      host_name: v.host,
      attached_at: novaTime(v.updatedAt),
    },
  ];
}

/** Cinder v3's volume (detail shape; the brief list shape is id, name and links). */
export function cinderVolume(v: VolumeView, base: string) {
  return {
    id: v.id,
    name: v.name ?? '',
    links: [{ rel: 'self', href: `${base}/volume/v3/${v.projectId}/volumes/${v.id}` }],
    status: v.status,
    size: v.sizeGb,
    attachments: attachmentOf(v),
    availability_zone: 'nova',
    bootable: 'false',
    encrypted: false,
    multiattach: false,
    description: null,
    volume_type: '__DEFAULT__',
    snapshot_id: null,
    source_volid: null,
    metadata: {},
    user_id: v.projectId,
    'os-vol-tenant-attr:tenant_id': v.projectId,
    created_at: novaTime(v.createdAt),
    updated_at: novaTime(v.updatedAt),
    replication_status: null,
    consistencygroup_id: null,
  };
}
