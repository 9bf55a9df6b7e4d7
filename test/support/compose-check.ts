/**
 * Static checks of a Docker Compose document: the Compose specification's JSON schema
 * (vendored in docker/schema/) plus the cross-references the schema cannot see — a
 * depends_on naming a missing service, an undeclared volume, a Dockerfile that is not
 * there, an interpolation that silently becomes "", an environment variable no Nimbus
 * process reads. Every function returns a list of problems; an empty list means clean.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { ENV_VARS, REPO_ROOT } from '../../core/config.js';

export type ComposeDoc = Record<string, unknown>;

export interface ComposeCheckOptions {
  /** Directory of the compose file: relative build contexts and bind mounts resolve from it. */
  baseDir: string;
  /** File-existence probe; tests pass a fake. Defaults to fs.existsSync. */
  exists?: (absolutePath: string) => boolean;
  /** Variables a Nimbus process reads. Defaults to Object.keys(ENV_VARS). */
  nimbusEnv?: readonly string[];
}

export const COMPOSE_SCHEMA_FILE = path.join(REPO_ROOT, 'docker', 'schema', 'compose-spec.json');

const COMMON_APP_ENV = [
  'DATABASE_URL',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  // Every process gets the same token: one left to generate its own would seed an admin
  // whose token the others (and the operator) never learn.
  'NIMBUS_ADMIN_TOKEN',
  // The image's fallback is inside the read-only checkout.
  'NIMBUS_DATA_DIR',
];

/** What each app under apps/ cannot run without in a container. */
export const APP_REQUIRED_ENV: Readonly<Record<string, readonly string[]>> = {
  api: [...COMMON_APP_ENV, 'NIMBUS_API_HOST'], // 127.0.0.1 is unreachable from other containers
  controller: COMMON_APP_ENV,
  'compute-agent': [...COMMON_APP_ENV, 'NIMBUS_HOST', 'NIMBUS_API_URL'],
};

/** Parses compose YAML the way Docker Compose does, `<<` merge keys included. */
export function parseCompose(text: string): ComposeDoc {
  const doc: unknown = parse(text, { merge: true });
  if (!isMap(doc)) throw new Error('a compose file must be a mapping');
  return doc;
}

export function loadComposeFile(file: string): ComposeDoc {
  return parseCompose(readFileSync(file, 'utf8'));
}

/** Everything: schema, references, interpolation, environment. */
export function checkCompose(doc: ComposeDoc, options: ComposeCheckOptions): string[] {
  return [...schemaProblems(doc), ...referenceProblems(doc, options), ...interpolationProblems(doc), ...environmentProblems(doc, options)];
}

// ---------------------------------------------------------------------------- schema

type Validate = ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string; params: Record<string, unknown> }> | null };
let validateCompose: Validate | undefined;

function compileSchema(): Validate {
  const ajv = new AjvModule.default({ strict: false, allErrors: true });
  addFormatsModule.default(ajv);
  // The spec names its meta-schema with https and no fragment; ajv ships it as http…#.
  const draft7 = ajv.getSchema('http://json-schema.org/draft-07/schema')?.schema;
  if (isMap(draft7)) ajv.addMetaSchema({ ...draft7, $id: 'https://json-schema.org/draft-07/schema' });
  return ajv.compile(JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8'))) as Validate;
}

export function schemaProblems(doc: unknown): string[] {
  validateCompose ??= compileSchema();
  if (validateCompose(doc)) return [];
  const seen = new Set<string>();
  for (const e of validateCompose.errors ?? []) {
    const extra = e.params.additionalProperty ?? e.params.allowedValues ?? e.params.missingProperty;
    seen.add(`schema: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra === undefined ? '' : ` (${String(extra)})`}`);
  }
  return [...seen];
}

// ------------------------------------------------------------------------ references

export function referenceProblems(doc: ComposeDoc, options: ComposeCheckOptions): string[] {
  const exists = options.exists ?? existsSync;
  const services = servicesOf(doc);
  const volumes = new Set(Object.keys(mapOr(doc.volumes)));
  const networks = new Set(['default', ...Object.keys(mapOr(doc.networks))]);
  const problems: string[] = [];

  for (const [name, svc] of Object.entries(services)) {
    for (const [dep, condition] of dependencies(svc)) {
      const target = services[dep];
      if (!target) {
        problems.push(`services.${name}.depends_on: no service named "${dep}"`);
      } else if (condition === 'service_healthy' && !hasHealthcheck(target)) {
        problems.push(`services.${name}.depends_on.${dep}: waits for service_healthy but "${dep}" has no healthcheck`);
      } else if (condition === 'service_completed_successfully' && ['always', 'unless-stopped'].includes(String(target.restart))) {
        problems.push(`services.${name}.depends_on.${dep}: waits for completion but "${dep}" restarts forever (restart: ${String(target.restart)})`);
      }
    }
    for (const mount of mounts(svc)) {
      if (mount.kind === 'volume' && !volumes.has(mount.source)) {
        problems.push(`services.${name}.volumes: named volume "${mount.source}" is not declared under top-level volumes`);
      }
      if (mount.kind === 'bind' && !path.isAbsolute(mount.source) && !mount.source.startsWith('~')) {
        if (!exists(path.resolve(options.baseDir, mount.source))) {
          problems.push(`services.${name}.volumes: bind source "${mount.source}" does not exist`);
        }
      }
    }
    const svcNetworks = Array.isArray(svc.networks) ? svc.networks.map(String) : Object.keys(mapOr(svc.networks));
    for (const net of svcNetworks) {
      if (!networks.has(net)) problems.push(`services.${name}.networks: network "${net}" is not declared under top-level networks`);
    }
    problems.push(...buildProblems(name, svc.build, options.baseDir, exists));
  }
  const cycle = dependencyCycle(services);
  if (cycle) problems.push(`depends_on cycle: ${cycle.join(' -> ')}`);
  return problems;
}

function buildProblems(name: string, build: unknown, baseDir: string, exists: (p: string) => boolean): string[] {
  if (build === undefined) return [];
  const spec = typeof build === 'string' ? { context: build } : mapOr(build);
  const context = String(spec.context ?? '.');
  if (/^[a-z]+:\/\/|^git@/.test(context) || context.includes('$')) return []; // remote or interpolated
  const contextDir = path.resolve(baseDir, context);
  if (!exists(contextDir)) return [`services.${name}.build: context "${context}" does not exist`];
  if (spec.dockerfile_inline !== undefined) return [];
  const dockerfile = String(spec.dockerfile ?? 'Dockerfile');
  if (!exists(path.resolve(contextDir, dockerfile))) {
    return [`services.${name}.build: dockerfile "${dockerfile}" does not exist in context "${context}"`];
  }
  return [];
}

function dependencyCycle(services: Record<string, Service>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): string[] | undefined => {
    if (state.get(name) === 'done' || !services[name]) return undefined;
    if (state.get(name) === 'visiting') return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, 'visiting');
    for (const [dep] of dependencies(services[name])) {
      const found = visit(dep, [...trail, name]);
      if (found) return found;
    }
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(services)) {
    const found = visit(name, []);
    if (found) return found;
  }
  return undefined;
}

// --------------------------------------------------------------------- interpolation

export interface Interpolation {
  /** Where in the document, e.g. services.api.environment.DATABASE_URL */
  at: string;
  name: string;
  /** '' for plain ${X} / $X; ':-', '-', ':+', '+' give a default; ':?', '?' mark it required. */
  operator: string;
}

/** Every ${VAR} the document interpolates ($$ is Compose's escape for a literal $). */
export function interpolations(doc: unknown): Interpolation[] {
  const found: Interpolation[] = [];
  walkStrings(doc, '', (at, text) => scan(text, at, found));
  return found;
}

function scan(text: string, at: string, out: Interpolation[]): void {
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$') continue;
    if (text[i + 1] === '$') {
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      let depth = 0;
      let close = -1;
      for (let j = i + 1; j < text.length && close < 0; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}' && --depth === 0) close = j;
      }
      if (close < 0) {
        out.push({ at, name: text.slice(i), operator: 'unterminated' });
        return;
      }
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(text.slice(i + 2, close));
      if (!m) out.push({ at, name: text.slice(i, close + 1), operator: 'invalid' });
      else {
        out.push({ at, name: m[1], operator: m[2] ?? '' });
        if (m[3]) scan(m[3], at, out); // a default may interpolate too
      }
      i = close;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (bare) {
      out.push({ at, name: bare[0], operator: '' });
      i += bare[0].length;
    }
  }
}

export function interpolationProblems(doc: ComposeDoc): string[] {
  return interpolations(doc).flatMap(({ at, name, operator }) => {
    if (operator === 'unterminated' || operator === 'invalid') return [`${at}: malformed interpolation ${name}`];
    if (operator === '') return [`${at}: \${${name}} has neither a default (:-) nor a required marker (:?) and becomes "" when unset`];
    return [];
  });
}

// ----------------------------------------------------------------------- environment

/** The Nimbus app a service runs (from `node dist/apps/<app>/main.js`), if any. */
export function nimbusApp(svc: Service): string | undefined {
  const argv = [svc.entrypoint, svc.command].flatMap((c) => (Array.isArray(c) ? c.map(String) : c == null ? [] : [String(c)]));
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
    for (const [k, v] of Object.entries(mapOr(svc.environment))) env.set(k, v == null ? undefined : String(v));
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
    for (const m of mounts(svc)) if (m.kind === 'volume') volumeOwners.set(m.source, volumeOwners.has(m.source) ? '*shared*' : name);
  }

  for (const [name, svc] of Object.entries(services)) {
    const app = nimbusApp(svc);
    if (app === undefined) {
      if (svc.build !== undefined) problems.push(`services.${name}: builds the Nimbus image but its command runs no dist/apps/<app>/main.js`);
      continue; // a third-party image: its variables are its own business
    }
    const required = APP_REQUIRED_ENV[app];
    if (!required) {
      problems.push(`services.${name}: runs unknown app "${app}" (known: ${Object.keys(APP_REQUIRED_ENV).join(', ')})`);
      continue;
    }
    const env = environment(svc);
    for (const key of env.keys()) {
      if (!known.has(key)) problems.push(`services.${name}.environment.${key}: no Nimbus process reads this variable (core/config.ts ENV_VARS)`);
    }
    for (const key of required) {
      if (!env.get(key)) problems.push(`services.${name}.environment: ${app} needs ${key}`);
    }
    if (app !== 'compute-agent') continue;

    const host = env.get('NIMBUS_HOST');
    if (host) {
      if (hosts.has(host)) problems.push(`services.${name}: NIMBUS_HOST "${host}" is already used by ${hosts.get(host)}`);
      hosts.set(host, name);
    }
    const dataDir = env.get('NIMBUS_DATA_DIR');
    const cache = mounts(svc).find((m) => m.kind === 'volume' && m.target === dataDir);
    if (dataDir && !cache) problems.push(`services.${name}: NIMBUS_DATA_DIR ${dataDir} is not on a named volume (the node cache would die with the container)`);
    else if (cache && volumeOwners.get(cache.source) === '*shared*') {
      problems.push(`services.${name}: node cache volume "${cache.source}" is shared with another service`);
    }
  }
  return problems;
}

// --------------------------------------------------------------------------- helpers

type Service = Record<string, unknown>;

interface Mount {
  kind: 'volume' | 'bind' | 'other';
  source: string;
  target: string;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapOr(value: unknown): Record<string, unknown> {
  return isMap(value) ? value : {};
}

function servicesOf(doc: ComposeDoc): Record<string, Service> {
  return Object.fromEntries(Object.entries(mapOr(doc.services)).map(([k, v]) => [k, mapOr(v)]));
}

function dependencies(svc: Service): Array<[string, string]> {
  if (Array.isArray(svc.depends_on)) return svc.depends_on.map((d) => [String(d), 'service_started']);
  return Object.entries(mapOr(svc.depends_on)).map(([d, spec]) => [d, String(mapOr(spec).condition ?? 'service_started')]);
}

function hasHealthcheck(svc: Service): boolean {
  const hc = mapOr(svc.healthcheck);
  const test = hc.test;
  return hc.disable !== true && test !== undefined && !(Array.isArray(test) && test[0] === 'NONE');
}

/** Short syntax SOURCE:TARGET[:MODE]: a source starting with / . or ~ is a host path. */
function mounts(svc: Service): Mount[] {
  if (!Array.isArray(svc.volumes)) return [];
  return svc.volumes.map((v): Mount => {
    if (isMap(v)) {
      const kind = v.type === 'volume' ? 'volume' : v.type === 'bind' ? 'bind' : 'other';
      return { kind: v.source === undefined && kind === 'volume' ? 'other' : kind, source: String(v.source ?? ''), target: String(v.target ?? '') };
    }
    const parts = String(v).split(':');
    if (parts.length < 2) return { kind: 'other', source: '', target: parts[0] }; // anonymous volume
    const [source, target] = parts;
    if (source.includes('$')) return { kind: 'other', source, target };
    return { kind: /^[/.~]/.test(source) ? 'bind' : 'volume', source, target };
  });
}

function walkStrings(value: unknown, at: string, visit: (at: string, text: string) => void): void {
  if (typeof value === 'string') visit(at || '/', value);
  else if (Array.isArray(value)) value.forEach((item, i) => walkStrings(item, `${at}[${i}]`, visit));
  else if (isMap(value)) for (const [k, v] of Object.entries(value)) walkStrings(v, at ? `${at}.${k}` : k, visit);
}
