import type { MigrationInterface } from 'typeorm';
import { InitialSchema1764210000000 } from './1764210000000-initial-schema.js';
import { VolumeOwner1764400000000 } from './1764400000000-volume-owner.js';
import { HostPlacementIndexes1764450000000 } from './1764450000000-host-placement-indexes.js';
import { ProjectQuotas1764500000000 } from './1764500000000-project-quotas.js';
import { PowerState1764600000000 } from './1764600000000-power-state.js';
import { StepStats1764650000000 } from './1764650000000-step-stats.js';
import { InstanceNotify1764660000000 } from './1764660000000-instance-notify.js';
import { OpenstackApi1764700000000 } from './1764700000000-openstack-api.js';
import { ImageMembers1764710000000 } from './1764710000000-image-members.js';
import { ClaimFencing1764720000000 } from './1764720000000-claim-fencing.js';
import { TokenScopeImageNames1764730000000 } from './1764730000000-token-scope-image-names.js';
import { BuildAdmission1764740000000 } from './1764740000000-build-admission.js';
import { DropHostFaults1764750000000 } from './1764750000000-drop-host-faults.js';

/** In order. A new migration is appended here; an applied one is never edited. */
export const MIGRATIONS: Array<new () => MigrationInterface> = [
  InitialSchema1764210000000,
  VolumeOwner1764400000000,
  HostPlacementIndexes1764450000000,
  ProjectQuotas1764500000000,
  PowerState1764600000000,
  StepStats1764650000000,
  InstanceNotify1764660000000,
  OpenstackApi1764700000000,
  ImageMembers1764710000000,
  ClaimFencing1764720000000,
  TokenScopeImageNames1764730000000,
  BuildAdmission1764740000000,
  DropHostFaults1764750000000,
];
