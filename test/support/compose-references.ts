/**
 * Cross-references the schema cannot see: a depends_on naming a missing service or waiting
 * on a health or completion that never comes, a dependency cycle, an undeclared volume or
 * network, a bind source, build context or Dockerfile that is not there.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { dependencies, hasHealthcheck, mapOr, mounts, servicesOf, text } from './compose-doc.js';
import type { ComposeCheckOptions, ComposeDoc, Service } from './compose-doc.js';

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
      } else if (
        condition === 'service_completed_successfully' &&
        ['always', 'unless-stopped'].includes(String(target.restart))
      ) {
        problems.push(
          `services.${name}.depends_on.${dep}: waits for completion ` +
            `but "${dep}" restarts forever (restart: ${String(target.restart)})`,
        );
      }
    }
    for (const mount of mounts(svc)) {
      if (mount.kind === 'volume' && !volumes.has(mount.source)) {
        problems.push(
          `services.${name}.volumes: named volume "${mount.source}" is not declared under top-level volumes`,
        );
      }
      if (mount.kind === 'bind' && !path.isAbsolute(mount.source) && !mount.source.startsWith('~')) {
        if (!exists(path.resolve(options.baseDir, mount.source))) {
          problems.push(`services.${name}.volumes: bind source "${mount.source}" does not exist`);
        }
      }
    }
    const svcNetworks = Array.isArray(svc.networks) ? svc.networks.map(String) : Object.keys(mapOr(svc.networks));
    for (const net of svcNetworks) {
      if (!networks.has(net))
        problems.push(`services.${name}.networks: network "${net}" is not declared under top-level networks`);
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
  const context = text(spec.context, '.');
  if (/^[a-z]+:\/\/|^git@/.test(context) || context.includes('$')) return []; // remote or interpolated
  const contextDir = path.resolve(baseDir, context);
  if (!exists(contextDir)) return [`services.${name}.build: context "${context}" does not exist`];
  if (spec.dockerfile_inline !== undefined) return [];
  const dockerfile = text(spec.dockerfile, 'Dockerfile');
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
