/**
 * The environment of the services that run a Nimbus app: every variable one of its
 * processes reads, none it does not, and one host name and node cache per compute agent.
 */
import { ENV_VARS } from '../../core/config.js';
import { mapOr, mounts, servicesOf, text } from './compose-doc.js';
import type { ComposeCheckOptions, ComposeDoc, Service } from './compose-doc.js';

const COMMON_APP_ENV = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  // The image's fallback is inside the read-only checkout.
  'NIMBUS_DATA_DIR',
];

/**
 * The control plane seeds the configured tokens; each one it seeds revokes the one it replaces,
 * so both processes get the same ones (one left to its own would seed tokens nobody knows).
 */
const CONTROL_ENV = [...COMMON_APP_ENV, 'DATABASE_URL', 'NIMBUS_ADMIN_TOKEN', 'NIMBUS_AGENT_TOKEN'];

/** What each app under apps/ cannot run without in a container. */
export const APP_REQUIRED_ENV: Readonly<Record<string, readonly string[]>> = {
  api: [...CONTROL_ENV, 'NIMBUS_API_HOST'], // 127.0.0.1 is unreachable from other containers
  controller: CONTROL_ENV,
  'compute-agent': [...COMMON_APP_ENV, 'NIMBUS_AGENT_TOKEN', 'NIMBUS_HOST', 'NIMBUS_API_URL'],
  'network-node': COMMON_APP_ENV,
};

/**
 * Secrets a host-side app must not hold: a compromised host must not own the cloud. Hosts
 * reach Temporal and the image service only, never the database (Nova's conductor rule).
 */
const HOST_FORBIDDEN_ENV = ['DATABASE_URL', 'NIMBUS_ADMIN_TOKEN', 'NIMBUS_ADMIN_PASSWORD'];
const APP_FORBIDDEN_ENV: Readonly<Record<string, readonly string[]>> = {
  'compute-agent': HOST_FORBIDDEN_ENV,
  'network-node': HOST_FORBIDDEN_ENV,
};

/** The Nimbus app a service runs (from `node dist/apps/<app>/main.js`), if any. */
export function nimbusApp(svc: Service): string | undefined {
  const argv = [svc.entrypoint, svc.command].flatMap((c) =>
    Array.isArray(c) ? c.map(String) : c == null ? [] : [text(c)],
  );
  return /dist\/apps\/([a-z0-9-]+)\/main\.js/.exec(argv.join(' '))?.[1];
}

export function environment(svc: Service): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  if (Array.isArray(svc.environment)) {
    for (const entry of svc.environment.map(String)) {
      const eq = entry.indexOf('=');
      env.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? undefined : entry.slice(eq + 1));
    }
  } else {
    for (const [k, v] of Object.entries(mapOr(svc.environment))) env.set(k, v == null ? undefined : text(v));
  }
  return env;
}

export function environmentProblems(doc: ComposeDoc, options: Pick<ComposeCheckOptions, 'nimbusEnv'>): string[] {
  const known = new Set(options.nimbusEnv ?? Object.keys(ENV_VARS));
  const services = servicesOf(doc);
  const problems: string[] = [];
  const hosts = new Map<string, string>();
  const volumeOwners = new Map<string, string>();
  for (const [name, svc] of Object.entries(services)) {
    for (const m of mounts(svc))
      if (m.kind === 'volume') volumeOwners.set(m.source, volumeOwners.has(m.source) ? '*shared*' : name);
  }

  for (const [name, svc] of Object.entries(services)) {
    const app = nimbusApp(svc);
    if (app === undefined) {
      if (svc.build !== undefined)
        problems.push(`services.${name}: builds the Nimbus image but its command runs no dist/apps/<app>/main.js`);
      continue; // a third-party image: its variables are its own business
    }
    const required = APP_REQUIRED_ENV[app];
    if (!required) {
      problems.push(`services.${name}: runs unknown app "${app}" (known: ${Object.keys(APP_REQUIRED_ENV).join(', ')})`);
      continue;
    }
    const env = environment(svc);
    for (const key of env.keys()) {
      if (!known.has(key))
        problems.push(
          `services.${name}.environment.${key}: no Nimbus process reads this variable (core/config.ts ENV_VARS)`,
        );
    }
    for (const key of required) {
      if (!env.get(key)) problems.push(`services.${name}.environment: ${app} needs ${key}`);
    }
    for (const key of APP_FORBIDDEN_ENV[app] ?? []) {
      if (env.has(key)) problems.push(`services.${name}.environment.${key}: ${app} must not hold ${key}`);
    }
    if (app !== 'compute-agent') continue;

    const host = env.get('NIMBUS_HOST');
    if (host) {
      if (hosts.has(host))
        problems.push(`services.${name}: NIMBUS_HOST "${host}" is already used by ${hosts.get(host)}`);
      hosts.set(host, name);
    }
    const dataDir = env.get('NIMBUS_DATA_DIR');
    const cache = mounts(svc).find((m) => m.kind === 'volume' && m.target === dataDir);
    if (dataDir && !cache)
      problems.push(
        `services.${name}: NIMBUS_DATA_DIR ${dataDir} is not on a named volume ` +
          '(the node cache would die with the container)',
      );
    else if (cache && volumeOwners.get(cache.source) === '*shared*') {
      problems.push(`services.${name}: node cache volume "${cache.source}" is shared with another service`);
    }
  }
  return problems;
}
