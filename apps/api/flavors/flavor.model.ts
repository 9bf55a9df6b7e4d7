import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

/** GraphQL's Flavor: the fields of `GET /v1/flavors`. */
@ObjectType()
export class Flavor {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => Int) vcpus: number;
  @Field(() => Int) ramMb: number;
  @Field(() => Int) diskGb: number;
}
