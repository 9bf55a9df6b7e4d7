import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `--cpu-prof`: the controller and the API run with Node's `--cpu-prof` into the output folder
 * (a `.cpuprofile` each, written when the app exits; open it in Chrome DevTools or
 * speedscope), and the benchmark prints the functions that took the most self time.
 */

/** The Node options that make `app` write its profile into `<dir>/<app>/`. */
export function cpuProfArgs(dir: string, apps: string[]): Record<string, string[]> {
  return Object.fromEntries(apps.map((app) => [app, ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, app)}`]]));
}

export interface SelfTime {
  function: string;
  where: string;
  selfMs: number;
  /** Of the samples that were not idle. */
  percent: number;
}

export interface AppProfile {
  /** The app, and its thread when it has more than one (the controller's workflow thread is its own). */
  app: string;
  file: string;
  /** Sampled time that was not idle. */
  busyMs: number;
  top: SelfTime[];
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name, file and line) of one `.cpuprofile`, the `n` largest. */
export function topSelfTime(file: string, n = 10): { busyMs: number; top: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<string, { function: string; where: string; us: number }>();
  let busyUs = 0;
  for (const [i, id] of profile.samples.entries()) {
    const frame = frameOf.get(id);
    // The delta before the next sample is the time this one stood for.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (!frame || frame.functionName === '(idle)') continue;
    busyUs += us;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${where}`;
    const slot = selfUs.get(key) ?? { function: frame.functionName || '(anonymous)', where, us: 0 };
    slot.us += us;
    selfUs.set(key, slot);
  }
  const top = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((s) => ({
      function: s.function,
      where: s.where,
      selfMs: Math.round(s.us / 1000),
      percent: Math.round((s.us / Math.max(1, busyUs)) * 1000) / 10,
    }));
  return { busyMs: Math.round(busyUs / 1000), top };
}

/**
 * The profiles each app wrote into `<dir>/<app>/`: one per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>),
 * the main thread as `app`, the others (the controller's workflow thread) as `app thread N`.
 */
export function readProfiles(dir: string, apps: string[], n = 10): AppProfile[] {
  const out: AppProfile[] = [];
  for (const app of apps) {
    const appDir = path.join(dir, app);
    if (!existsSync(appDir)) continue;
    for (const file of readdirSync(appDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()) {
      const thread = Number(file.split('.').at(-3));
      const name = thread > 0 ? `${app} thread ${thread}` : app;
      out.push({ app: name, file: path.join(appDir, file), ...topSelfTime(path.join(appDir, file), n) });
    }
  }
  return out;
}

/** node_modules/<package>/… or the path inside the checkout, not the whole file URL. */
function shortUrl(url: string): string {
  const plain = url.replace(/^file:\/\//, '');
  const nm = plain.lastIndexOf('node_modules/');
  if (nm >= 0) return plain.slice(nm + 'node_modules/'.length);
  const dist = plain.indexOf('/dist/');
  return dist >= 0 ? plain.slice(dist + 1) : plain;
}
