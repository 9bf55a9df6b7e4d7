import { CanActivate, ExecutionContext, Injectable, SetMetadata, createParamDecorator, HttpStatus } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { sha256Hex } from '../../../core/db/seeds.js';
import { Problem, ProblemTypes } from './problem.js';

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

/** The HTTP request behind a REST call or a GraphQL operation. */
export function requestOf(ctx: ExecutionContext): Request & { principal?: Principal } {
  return ctx.getType<string>() === 'graphql' ? GqlExecutionContext.create(ctx).getContext().req : ctx.switchToHttp().getRequest();
}

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => requestOf(ctx).principal!);

/** Bearer tokens, stored hashed: a token names its project and whether it is an admin's. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly db: DataSource,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const req = requestOf(ctx);
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new Problem(HttpStatus.UNAUTHORIZED, ProblemTypes.unauthorized, 'Unauthorized', 'an Authorization: Bearer TOKEN header is required');
    const [row] = await this.db.query(`SELECT id, project_id, is_admin FROM api_tokens WHERE token_sha256 = $1`, [sha256Hex(match[1])]);
    if (!row) throw new Problem(HttpStatus.UNAUTHORIZED, ProblemTypes.unauthorized, 'Unauthorized', 'the token is not valid');
    req.principal = { projectId: row.project_id, isAdmin: row.is_admin, tokenId: row.id };
    if (this.reflector.getAllAndOverride<boolean>(ADMIN, targets) && !row.is_admin) {
      throw new Problem(HttpStatus.FORBIDDEN, ProblemTypes.forbidden, 'Forbidden', 'this operation needs an admin token');
    }
    return true;
  }
}
