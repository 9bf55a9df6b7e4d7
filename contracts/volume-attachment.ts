/**
 * Attaching a volume to a running instance and detaching it (Nova's os-volume_attachments):
 * a workflow each, started by the API, with the instance's host and the timeouts the API's
 * config gives host steps.
 */
export interface VolumeAttachmentInput {
  instanceId: string;
  volumeId: string;
  projectId: string;
  /** The instance's host, where the hypervisor attaches. */
  host: string;
  hostPickupTimeoutSec?: number;
  hostStepTimeoutSec?: number;
  hostHeartbeatTimeoutSec?: number;
}

/**
 * One attachment change per instance and volume at a time: attach and detach share the id,
 * so Temporal refuses a detach while the attach still runs (and the other way round).
 */
export function volumeAttachmentWorkflowId(instanceId: string, volumeId: string): string {
  return `volume-${instanceId}-${volumeId}`;
}
