import type { Principal } from '../../common/auth.js';

/**
 * Attach and detach on a running instance, as the native API does them
 * (`POST /v1/instances/{id}/volumes`, `DELETE /v1/instances/{id}/volumes/{volumeId}`). The
 * native service provides this token; until it does, os-volume_attachments answers 501.
 */
export const INSTANCE_VOLUMES = Symbol('InstanceVolumes');

export interface InstanceVolumes {
  attach(principal: Principal, instanceId: string, volumeId: string): Promise<unknown>;
  detach(principal: Principal, instanceId: string, volumeId: string): Promise<unknown>;
}
