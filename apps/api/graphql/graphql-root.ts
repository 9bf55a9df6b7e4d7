import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { queryLimits } from './query-limits.js';

interface ConnectionContext {
  req?: unknown;
  connectionParams?: { authorization?: string };
}

export const GRAPHQL_PATH = '/graphql';

/** The resolvers' context. Over a WebSocket there is no HTTP request: the token comes in the connection params. */
export function graphqlContext({ req, connectionParams }: ConnectionContext) {
  return { req: req ?? { headers: { authorization: connectionParams?.authorization } } };
}

/**
 * GraphQL at /graphql, code first: each resource's module brings its object types and
 * resolver; this is the server around them (limits, the request context). Subscriptions
 * are served by GraphqlWsServer (graphql-ws), which applies the same limits over WebSocket.
 */
export function graphqlRoot() {
  return GraphQLModule.forRoot<ApolloDriverConfig>({
    driver: ApolloDriver,
    path: GRAPHQL_PATH,
    autoSchemaFile: true,
    sortSchema: true,
    includeStacktraceInErrorResponses: false,
    validationRules: [queryLimits()],
    context: graphqlContext,
  });
}
