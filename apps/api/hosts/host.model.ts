import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import type { HostView } from '../../../core/scheduling/host-registry.js';

type HostField = keyof HostView;

/** Whole units: capacity, usage and free room of each resource, and the builds holding a claim. */
const COUNTS = [
  ...['vcpus', 'vcpusUsed', 'vcpusFree', 'ramMb', 'ramMbUsed', 'ramMbFree'],
  ...['diskGb', 'diskGbUsed', 'diskGbFree', 'instances'],
] as const satisfies readonly HostField[];
const RATIOS = [
  'cpuAllocationRatio',
  'ramAllocationRatio',
  'diskAllocationRatio',
] as const satisfies readonly HostField[];

/**
 * GraphQL's Host: the fields of `GET /v1/hosts` (capacity, usage, ratios, free room, liveness);
 * the numeric ones are added from the lists above, which the compiler checks against HostView.
 */
@ObjectType()
export class Host {
  @Field() name: string;
  @Field() status: string;
  @Field(() => String, { nullable: true }) hypervisorType: string | null;
  /** When a host step went unanswered there; null again once its agent heartbeats. Suspect hosts get no builds. */
  @Field(() => String, { nullable: true }) suspectSince: string | null;
}
for (const field of COUNTS) Field(() => Int)(Host.prototype, field);
for (const field of RATIOS) Field(() => Float)(Host.prototype, field);
