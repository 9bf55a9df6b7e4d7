import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, parse, specifiedRules, validate } from 'graphql';
import { type Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiTokens } from '../../../core/projects/api-tokens.js';
import { ClientLimits } from '../common/rate-limit.js';
import { graphqlContext, GRAPHQL_PATH } from './graphql-root.js';
import { queryLimits } from './query-limits.js';

/** The largest WebSocket message read (a subscribe message is a few hundred bytes); larger closes with 1009. */
export const MAX_WS_PAYLOAD = 64 * 1024;
/** Subscriptions one connection may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;

type Params = { authorization?: string };
type Extra = { socket: WebSocket; request: IncomingMessage; tokenId?: string };

/**
 * GraphQL over WebSocket (graphql-ws at /graphql), under the HTTP API's rules: the token is
 * checked in the connection handshake (a bad one closes the socket with 4403), every
 * subscribe pays into the address's and the token's rate limit, the same validation rules
 * (depth and width) run before anything executes, a connection holds at most
 * MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions, and no message over MAX_WS_PAYLOAD is read.
 */
@Injectable()
export class GraphqlWsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private wss: WebSocketServer | undefined;
  private dispose: (() => void | Promise<void>) | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly schemaHost: GraphQLSchemaHost,
    private readonly tokens: ApiTokens,
    private readonly limits: ClientLimits,
  ) {}

  onApplicationBootstrap(): void {
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD });
    const { schema } = this.schemaHost;
    const server = useServer<Params, Extra>(
      {
        schema,
        context: (ctx) => graphqlContext({ connectionParams: ctx.connectionParams }),
        onConnect: (ctx) => this.admit(ctx),
        onSubscribe: (ctx, _id, payload) => {
          const refused = (message: string) => [new GraphQLError(message, { extensions: { code: 'REFUSED' } })];
          if (Object.keys(ctx.subscriptions).length >= MAX_SUBSCRIPTIONS_PER_CONNECTION)
            return refused(`at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`);
          if (!this.takeToken(ctx.extra.tokenId!)) return refused('too many requests: slow down');
          let document;
          try {
            document = parse(payload.query);
          } catch (err) {
            return [err as GraphQLError];
          }
          const errors = validate(schema, document, [...specifiedRules, queryLimits()]);
          return errors.length > 0 ? errors : undefined;
        },
      },
      wss,
    );
    this.wss = wss;
    this.dispose = () => server.dispose();
    const http: Server = this.adapterHost.httpAdapter.getHttpServer();
    http.on('upgrade', (req: IncomingMessage, socket, head) => {
      if (new URL(req.url ?? '/', 'http://api').pathname !== GRAPHQL_PATH) return void socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispose?.();
    this.wss?.close();
  }

  /** The handshake: the address's rate limit, then a valid token (false closes with 4403 Forbidden). */
  private async admit(ctx: Context<Params, Extra>): Promise<boolean> {
    const address = ctx.extra.request.socket.remoteAddress ?? 'unknown';
    if ((this.limits.byAddress?.take(`ip:${address}`) ?? 0) > 0) return false;
    const token = /^Bearer\s+(\S+)$/i.exec(ctx.connectionParams?.authorization ?? '')?.[1];
    const owner = token ? await this.tokens.owner(token) : null;
    // A scoped service credential (the agents' image:read) has no business here.
    if (!owner || owner.scope) return false;
    ctx.extra.tokenId = owner.tokenId;
    return this.takeToken(owner.tokenId);
  }

  private takeToken(tokenId: string): boolean {
    try {
      this.limits.takeForToken(tokenId);
      return true;
    } catch {
      return false;
    }
  }
}
