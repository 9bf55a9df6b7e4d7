import type { Principal } from '../../common/auth.js';

/**
 * Attach and detach on a running instance, as the native API does them
 * (`POST /v1/instances/{id}/volumes`, `DELETE /v1/instances/{id}/volumes/{volumeId}`):
 * the native InstanceVolumesService behind this token (openstack.module.ts). A build
 * without it answers os-volume_attachments with 501.
 */
export const INSTANCE_VOLUMES = Symbol('InstanceVolumes');

export interface InstanceVolumes {
  attach(principal: Principal, instanceId: string, volumeId: string): Promise<unknown>;
  detach(principal: Principal, instanceId: string, volumeId: string): Promise<unknown>;
}
