import { Field, Float, ID, ObjectType } from '@nestjs/graphql';

/** GraphQL's Image: the fields of `GET /v1/images/ID`. */
@ObjectType()
export class Image {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() status: string;
  @Field(() => Float, { nullable: true }) sizeBytes: number | null;
  @Field(() => String, { nullable: true }) sha256: string | null;
  /** The owner project; null for the public seeds. */
  @Field(() => ID, { nullable: true }) projectId: string | null;
  @Field() visibility: string;
}
