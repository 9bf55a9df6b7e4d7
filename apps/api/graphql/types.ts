import { Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';

/** GraphQL shapes: the same objects and field names as REST (DESIGN.md). */

@ObjectType()
export class Segmentation {
  @Field() type: string;
  @Field(() => Int, { nullable: true }) id: number | null;
}

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

@ObjectType()
export class Flavor {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => Int) vcpus: number;
  @Field(() => Int) ramMb: number;
  @Field(() => Int) diskGb: number;
}

@ObjectType()
export class Image {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() status: string;
  @Field(() => Float, { nullable: true }) sizeBytes: number | null;
  @Field(() => String, { nullable: true }) sha256: string | null;
}

@ObjectType()
export class Network {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() cidr: string;
  @Field() gateway: string;
  @Field(() => Segmentation) segmentation: Segmentation;
}

@ObjectType()
export class Host {
  @Field() name: string;
  @Field() status: string;
  @Field(() => Int) vcpus: number;
  @Field(() => Int) vcpusUsed: number;
  @Field(() => Int) ramMb: number;
  @Field(() => Int) ramMbUsed: number;
  @Field(() => Int) diskGb: number;
  @Field(() => Int) diskGbUsed: number;
  @Field(() => Float) cpuAllocationRatio: number;
  @Field(() => Float) ramAllocationRatio: number;
  @Field(() => Float) diskAllocationRatio: number;
  @Field(() => Int) vcpusFree: number;
  @Field(() => Int) ramMbFree: number;
  @Field(() => Int) diskGbFree: number;
  @Field(() => Int) instances: number;
}

@InputType()
export class VolumeInput {
  @Field(() => Int) @IsInt() @Min(1) @Max(16384) sizeGb: number;
}

@InputType()
export class CreateInstanceInput {
  @Field() @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/) name: string;
  @Field() @IsString() @IsNotEmpty() @MaxLength(255) flavor: string;
  @Field() @IsString() @IsNotEmpty() @MaxLength(255) image: string;
  @Field() @IsString() @IsNotEmpty() @MaxLength(255) network: string;
  @Field(() => VolumeInput, { nullable: true }) @IsOptional() @ValidateNested() @Type(() => VolumeInput) volume?: VolumeInput;
}
