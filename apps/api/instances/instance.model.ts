import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Segmentation } from '../networks/network.model.js';

/** GraphQL's Instance: the same objects and field names as `GET /v1/instances/ID` (DESIGN.md). */

@ObjectType()
export class Address {
  @Field() network: string;
  @Field() ip: string;
  @Field() mac: string;
  @Field(() => ID) portId: string;
  @Field(() => Segmentation) segmentation: Segmentation;
}

@ObjectType()
export class VolumeConnection {
  @Field() targetIqn: string;
  @Field() targetPortal: string;
  @Field(() => Int) targetLun: number;
}

@ObjectType()
export class InstanceVolume {
  @Field(() => ID) id: string;
  @Field(() => Int) sizeGb: number;
  @Field() status: string;
  @Field(() => String, { nullable: true }) device: string | null;
  @Field() deleteOnTermination: boolean;
  @Field(() => VolumeConnection, { nullable: true }) connection: VolumeConnection | null;
}

@ObjectType()
export class Attempt {
  @Field() host: string;
  @Field() outcome: string;
  @Field(() => String, { nullable: true }) reason: string | null;
}

@ObjectType()
export class Fault {
  @Field() code: string;
  @Field() message: string;
  @Field(() => String, { nullable: true }) step: string | null;
  @Field(() => String, { nullable: true }) host: string | null;
}

@ObjectType()
export class Instance {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => ID) projectId: string;
  @Field() status: string;
  @Field(() => String, { nullable: true }) taskState: string | null;
  @Field(() => Int) powerState: number;
  @Field(() => String, { nullable: true }) host: string | null;
  @Field() flavor: string;
  @Field() image: string;
  @Field(() => [Address]) addresses: Address[];
  @Field(() => [InstanceVolume]) volumes: InstanceVolume[];
  @Field(() => [Attempt]) attempts: Attempt[];
  @Field(() => Fault, { nullable: true }) fault: Fault | null;
  @Field() createdAt: string;
  @Field() updatedAt: string;
  @Field(() => String, { nullable: true }) launchedAt: string | null;
}
