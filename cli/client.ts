import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, adminTokenFile } from '../core/config.js';

export interface CliConfig {
  url: string;
  token: string | undefined;
}

/** Where the CLI keeps its settings: {"url": "...", "token": "..."}. */
export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.NIMBUS_CONFIG ?? path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'nimbus', 'config.json')
  );
}

/**
 * The API address and token: flags, then NIMBUS_URL / NIMBUS_TOKEN, then the config file,
 * then the local development stack (its default port and the token it saved).
 */
export function loadCliConfig(
  flags: { url?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): CliConfig {
  let file: Partial<CliConfig> = {};
  const fp = configFile(env);
  if (existsSync(fp)) file = JSON.parse(readFileSync(fp, 'utf8')) as Partial<CliConfig>;
  const localToken = (() => {
    const tokenPath = adminTokenFile(path.resolve(REPO_ROOT, env.NIMBUS_DATA_DIR || '.nimbus'));
    return existsSync(tokenPath) ? readFileSync(tokenPath, 'utf8').trim() : undefined;
  })();
  return {
    url: (flags.url ?? env.NIMBUS_URL ?? file.url ?? `http://127.0.0.1:${env.NIMBUS_API_PORT ?? 3000}`).replace(
      /\/$/,
      '',
    ),
    token: flags.token ?? env.NIMBUS_TOKEN ?? file.token ?? localToken,
  };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem:
      | { type?: string; title?: string; detail?: string; errors?: Array<{ field: string; message: string }> }
      | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

/** A small REST client: JSON in, JSON out, problem+json turned into ApiError. */
export class NimbusClient {
  constructor(private readonly config: CliConfig) {}

  async request<T = any>(
    method: string,
    route: string,
    body?: unknown,
    init: { headers?: Record<string, string>; raw?: RequestInit['body']; duplex?: 'half' } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.config.url}${route}`, {
        method,
        headers,
        body: init.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
        ...(init.duplex ? { duplex: init.duplex } : {}),
      });
    } catch (err) {
      const reason = (err as { cause?: Error }).cause ?? (err as Error).message;
      throw new Error(`cannot reach Nimbus at ${this.config.url} (${reason}); set NIMBUS_URL or --url`, { cause: err });
    }
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new ApiError(res.status, parsed);
    return parsed as T;
  }
}
