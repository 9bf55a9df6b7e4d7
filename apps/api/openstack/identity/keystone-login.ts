import { Inject, Injectable } from '@nestjs/common';
import type { NimbusConfig } from '../../../../core/config.js';
import { KeystoneTokens, type IssuedToken, type TokenGrant } from '../../../../core/identity/keystone-tokens.js';
import { Users, unauthorized, type UserRecord } from '../../../../core/identity/users.js';
import { CONFIG } from '../../common/core.module.js';
import { Problem } from '../../common/problem.js';

/** The parts of Keystone's `{"auth": {...}}` body we read; everything else is ignored. */
interface AuthBody {
  auth?: {
    identity?: {
      methods?: string[];
      password?: { user?: { id?: string; name?: string; password?: string } };
      token?: { id?: string };
      application_credential?: { id?: string; secret?: string };
    };
    scope?: { project?: { id?: string; name?: string } } | 'unscoped';
  };
}

const badRequest = (detail: string) => Problem.validation([{ field: 'auth', message: detail }]);

/** POST /v3/auth/tokens: one of the password, token and application_credential methods, then a scoped token. */
@Injectable()
export class KeystoneLogin {
  constructor(
    private readonly users: Users,
    private readonly tokens: KeystoneTokens,
    @Inject(CONFIG) private readonly config: NimbusConfig,
  ) {}

  async login(body: AuthBody): Promise<IssuedToken> {
    const identity = body?.auth?.identity;
    const method = identity?.methods?.[0];
    const scope = typeof body.auth?.scope === 'object' ? body.auth.scope.project : undefined;
    if (method === 'password') {
      const u = identity?.password?.user;
      if (!u?.password || (!u.id && !u.name)) throw badRequest('password.user needs a name or id and a password');
      const user = await this.users.checkPassword({ id: u.id, name: u.name }, u.password);
      return this.tokens.issue(await this.scoped(user, scope, ['password']));
    }
    if (method === 'token') {
      const current = identity?.token?.id ? await this.tokens.validate(identity.token.id) : null;
      if (!current) throw unauthorized('The token is not valid, expired or was revoked');
      // Re-scoping keeps the user; a token without one (an application credential's) keeps its project.
      const user = current.userId ? await this.users.get(current.userId) : null;
      if (!user) return this.tokens.issue({ ...current, methods: ['token'] });
      return this.tokens.issue(await this.scoped(user, scope ?? { id: current.projectId }, ['token']));
    }
    if (method === 'application_credential') {
      const c = identity?.application_credential;
      if (!c?.id || !c.secret) throw badRequest('application_credential needs an id and a secret');
      return this.tokens.issue(await this.tokens.applicationCredential(c.id, c.secret));
    }
    throw unauthorized(`Unsupported authentication method: ${String(method)}`);
  }

  private async scoped(user: UserRecord, project: { id?: string; name?: string } | undefined, methods: string[]) {
    const member = await this.users.membership(user.id, project);
    if (!member) throw unauthorized(`User ${user.name} has no role on the requested project`);
    const grant: TokenGrant = { userId: user.id, userName: user.name, ...member, methods };
    return grant;
  }

  get region(): string {
    return this.config.region;
  }
}
