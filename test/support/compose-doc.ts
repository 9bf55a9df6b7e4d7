/**
 * A Docker Compose document as the checks read it: parsed the way Docker Compose parses
 * it, and the shapes its services, dependencies and mounts come in.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type ComposeDoc = Record<string, unknown>;

export interface ComposeCheckOptions {
  /** Directory of the compose file: relative build contexts and bind mounts resolve from it. */
  baseDir: string;
  /** File-existence probe; tests pass a fake. Defaults to fs.existsSync. */
  exists?: (absolutePath: string) => boolean;
  /** Variables a Nimbus process reads. Defaults to Object.keys(ENV_VARS). */
  nimbusEnv?: readonly string[];
}

/** Parses compose YAML the way Docker Compose does, `<<` merge keys included. */
export function parseCompose(text: string): ComposeDoc {
  const doc: unknown = parse(text, { merge: true });
  if (!isMap(doc)) throw new Error('a compose file must be a mapping');
  return doc;
}

export function loadComposeFile(file: string): ComposeDoc {
  return parseCompose(readFileSync(file, 'utf8'));
}

export type Service = Record<string, unknown>;

export interface Mount {
  kind: 'volume' | 'bind' | 'other';
  source: string;
  target: string;
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mapOr(value: unknown): Record<string, unknown> {
  return isMap(value) ? value : {};
}

export function servicesOf(doc: ComposeDoc): Record<string, Service> {
  return Object.fromEntries(Object.entries(mapOr(doc.services)).map(([k, v]) => [k, mapOr(v)]));
}

export function dependencies(svc: Service): Array<[string, string]> {
  if (Array.isArray(svc.depends_on)) return svc.depends_on.map((d) => [String(d), 'service_started']);
  return Object.entries(mapOr(svc.depends_on)).map(([d, spec]) => [d, text(mapOr(spec).condition, 'service_started')]);
}

export function hasHealthcheck(svc: Service): boolean {
  const hc = mapOr(svc.healthcheck);
  const test = hc.test;
  return hc.disable !== true && test !== undefined && !(Array.isArray(test) && test[0] === 'NONE');
}

/** A scalar as text, `fallback` when absent; a mapping or list (which the schema reports) as JSON. */
export function text(value: unknown, fallback = ''): string {
  if (value === undefined || value === null) return fallback;
  return typeof value === 'object' ? JSON.stringify(value) : `${value as string | number | boolean}`;
}

/** Short syntax SOURCE:TARGET[:MODE]: a source starting with / . or ~ is a host path. */
export function mounts(svc: Service): Mount[] {
  if (!Array.isArray(svc.volumes)) return [];
  return svc.volumes.map((v): Mount => {
    if (isMap(v)) {
      const kind = v.type === 'volume' ? 'volume' : v.type === 'bind' ? 'bind' : 'other';
      return {
        kind: v.source === undefined && kind === 'volume' ? 'other' : kind,
        source: text(v.source),
        target: text(v.target),
      };
    }
    const parts = String(v).split(':');
    if (parts.length < 2) return { kind: 'other', source: '', target: parts[0] }; // anonymous volume
    const [source, target] = parts;
    if (source.includes('$')) return { kind: 'other', source, target };
    return { kind: /^[/.~]/.test(source) ? 'bind' : 'volume', source, target };
  });
}

export function walkStrings(value: unknown, at: string, visit: (at: string, text: string) => void): void {
  if (typeof value === 'string') visit(at || '/', value);
  else if (Array.isArray(value)) value.forEach((item, i) => walkStrings(item, `${at}[${i}]`, visit));
  else if (isMap(value)) for (const [k, v] of Object.entries(value)) walkStrings(v, at ? `${at}.${k}` : k, visit);
}
