import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType()
export class Segmentation {
  @Field() type: string;
  @Field(() => Int, { nullable: true }) id: number | null;
}

/** GraphQL's Network: the fields of `GET /v1/networks` that a build needs. */
@ObjectType()
export class Network {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() cidr: string;
  @Field() gateway: string;
  @Field(() => Segmentation) segmentation: Segmentation;
}
