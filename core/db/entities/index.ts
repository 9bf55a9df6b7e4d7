/** Every TypeORM entity class. This module exports nothing else: data-source.ts registers all its exports. */
export { ApiToken } from './api-token.entity.js';
export { Claim } from './claim.entity.js';
export { Flavor } from './flavor.entity.js';
export { HostFailureInjection } from './host-fault.entity.js';
export { Host } from './host.entity.js';
export { Image } from './image.entity.js';
export { InstanceAction } from './instance-action.entity.js';
export { InstanceFault } from './instance-fault.entity.js';
export { Instance } from './instance.entity.js';
export { IpAllocation } from './ip-allocation.entity.js';
export { Network } from './network.entity.js';
export { Port } from './port.entity.js';
export { Project } from './project.entity.js';
export { SchedulingAttempt } from './scheduling-attempt.entity.js';
export { StoragePool } from './storage-pool.entity.js';
export { VolumeAttachment } from './volume-attachment.entity.js';
export { Volume } from './volume.entity.js';
