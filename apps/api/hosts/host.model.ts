import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import type { HostView } from '../../../core/scheduling/host-registry.js';

/** Whole units: capacity, usage and free room of each resource, and the builds holding a claim. */
const COUNTS = [
  ...['vcpus', 'vcpusUsed', 'vcpusFree', 'ramMb', 'ramMbUsed', 'ramMbFree'],
  ...['diskGb', 'diskGbUsed', 'diskGbFree', 'instances'],
] as const;
const RATIOS = ['cpuAllocationRatio', 'ramAllocationRatio', 'diskAllocationRatio'] as const;

/** GraphQL's Host: the fields of `GET /v1/hosts` (capacity, usage, ratios, free room, liveness). */
@ObjectType()
export class Host {
  @Field() name: string;
  @Field() status: string;
}
export interface Host extends Pick<HostView, (typeof COUNTS)[number] | (typeof RATIOS)[number]> {}

for (const field of COUNTS) Field(() => Int)(Host.prototype, field);
for (const field of RATIOS) Field(() => Float)(Host.prototype, field);
