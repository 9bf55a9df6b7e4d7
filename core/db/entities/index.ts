import { ApiToken } from './api-token.entity.js';
import { Claim } from './claim.entity.js';
import { Flavor } from './flavor.entity.js';
import { HostFailureInjection } from './host-fault.entity.js';
import { Host } from './host.entity.js';
import { Image } from './image.entity.js';
import { InstanceAction } from './instance-action.entity.js';
import { InstanceFault } from './instance-fault.entity.js';
import { Instance } from './instance.entity.js';
import { IpAllocation } from './ip-allocation.entity.js';
import { Network } from './network.entity.js';
import { Port } from './port.entity.js';
import { Project } from './project.entity.js';
import { SchedulingAttempt } from './scheduling-attempt.entity.js';
import { StoragePool } from './storage-pool.entity.js';
import { VolumeAttachment } from './volume-attachment.entity.js';
import { Volume } from './volume.entity.js';

export {
  ApiToken,
  Claim,
  Flavor,
  Host,
  HostFailureInjection,
  Image,
  Instance,
  InstanceAction,
  InstanceFault,
  IpAllocation,
  Network,
  Port,
  Project,
  SchedulingAttempt,
  StoragePool,
  Volume,
  VolumeAttachment,
};

export const ENTITIES = [
  ApiToken,
  Claim,
  Flavor,
  Host,
  HostFailureInjection,
  Image,
  Instance,
  InstanceAction,
  InstanceFault,
  IpAllocation,
  Network,
  Port,
  Project,
  SchedulingAttempt,
  StoragePool,
  Volume,
  VolumeAttachment,
];
