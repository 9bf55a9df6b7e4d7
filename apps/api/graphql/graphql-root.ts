import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { queryLimits } from './query-limits.js';

interface ConnectionContext {
  req?: unknown;
  connectionParams?: { authorization?: string };
}

/**
 * GraphQL at /graphql, code first: each resource's module brings its object types and
 * resolver; this is the server around them (limits, subscriptions, the request context).
 */
export function graphqlRoot() {
  return GraphQLModule.forRoot<ApolloDriverConfig>({
    driver: ApolloDriver,
    path: '/graphql',
    autoSchemaFile: true,
    sortSchema: true,
    includeStacktraceInErrorResponses: false,
    validationRules: [queryLimits()],
    subscriptions: { 'graphql-ws': true },
    // Over a WebSocket there is no HTTP request: the token comes in the connection params.
    context: ({ req, connectionParams }: ConnectionContext) => ({
      req: req ?? { headers: { authorization: connectionParams?.authorization } },
    }),
  });
}
