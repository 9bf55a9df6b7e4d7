import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  createParamDecorator,
  HttpStatus,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Request } from 'express';
import { ApiTokens } from '../../../core/projects/api-tokens.js';
import { ApiProblems } from './api-problems.js';
import { Problem, ProblemTypes } from './problem.js';
import { ClientLimits } from './rate-limit.js';

export interface Principal {
  projectId: string;
  isAdmin: boolean;
  tokenId: string;
  /** A Keystone token's role (admin, member, reader); null for project tokens. */
  role?: string | null;
  userId?: string | null;
}

const PUBLIC = 'nimbus:public';
const ADMIN = 'nimbus:admin';

/** No token needed (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC, true);
/** Only admin tokens: others get a 403, which the OpenAPI document says. */
export const AdminOnly = () => applyDecorators(SetMetadata(ADMIN, true), ApiProblems(403));

type PrincipalRequest = Request & { principal?: Principal };

/** The HTTP request behind a REST call or a GraphQL operation. */
export function requestOf(ctx: ExecutionContext): PrincipalRequest {
  return ctx.getType<string>() === 'graphql'
    ? GqlExecutionContext.create(ctx).getContext<{ req: PrincipalRequest }>().req
    : ctx.switchToHttp().getRequest<PrincipalRequest>();
}

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => requestOf(ctx).principal!,
);

/** A header's value (the first, if sent twice); GraphQL-over-WebSocket requests carry plain header objects. */
const headerValue = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

const unauthorized = (detail: string) =>
  new Problem(HttpStatus.UNAUTHORIZED, ProblemTypes.unauthorized, 'Unauthorized', detail);

/** Bearer tokens, stored hashed: a token names its project and whether it is an admin's. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokens,
    private readonly limits: ClientLimits,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const req = requestOf(ctx);
    // OpenStack clients send their Keystone token as X-Auth-Token.
    const token =
      /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? headerValue(req.headers['x-auth-token']);
    if (!token) throw unauthorized('an Authorization: Bearer TOKEN header is required');
    const owner = await this.tokens.owner(token);
    if (!owner) throw unauthorized('the token is not valid, expired or was revoked');
    req.principal = owner;
    this.limits.takeForToken(owner.tokenId, req.res);
    if (owner.role === 'reader' && !['GET', 'HEAD'].includes(req.method)) {
      throw new Problem(HttpStatus.FORBIDDEN, ProblemTypes.forbidden, 'Forbidden', 'the reader role only reads');
    }
    if (this.reflector.getAllAndOverride<boolean>(ADMIN, targets) && !owner.isAdmin) {
      throw new Problem(
        HttpStatus.FORBIDDEN,
        ProblemTypes.forbidden,
        'Forbidden',
        'this operation needs an admin token',
      );
    }
    return true;
  }
}
