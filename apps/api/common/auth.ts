import {
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
import { Problem, ProblemTypes } from './problem.js';
import { ClientLimits } from './rate-limit.js';

export interface Principal {
  projectId: string;
  isAdmin: boolean;
  tokenId: string;
}

const PUBLIC = 'nimbus:public';
const ADMIN = 'nimbus:admin';

/** No token needed (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC, true);
/** Only admin tokens. */
export const AdminOnly = () => SetMetadata(ADMIN, true);

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
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw unauthorized('an Authorization: Bearer TOKEN header is required');
    const owner = await this.tokens.owner(match[1]);
    if (!owner) throw unauthorized('the token is not valid');
    req.principal = owner;
    this.limits.takeForToken(owner.tokenId, req.res);
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
