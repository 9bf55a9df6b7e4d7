/**
 * How much memory a 1 GiB image costs the API (upload, then serving the download) and the
 * compute agent (pulling it into its node cache). Both stream, so both should stay near
 * their idle size whatever the image's size.
 *
 *   node dist/bench/image-memory.js [--mib 1024] [--echo]
 *
 * On the test stack (fresh temp folder, free ports, one agent) it uploads a generated
 * stream of --mib MiB through PUT /v1/images/:id/file, builds an instance from it (the
 * agent downloads it over HTTP from the API), and samples the resident memory of the API
 * and the agent from /proc (VmRSS every 50 ms, and the kernel's own peak, VmHWM). Prints
 * the figures and writes them to bench/results/image-memory.json. Linux only.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable, Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../core/config.js';
import { seedImageStream } from '../core/images/seed-image.js';
import { startTestStack, type TestStack } from '../test/support/stack.js';

const { values: args } = parseArgs({
  options: { mib: { type: 'string', default: '1024' }, echo: { type: 'boolean', default: false } },
});
const sizeBytes = Number(args.mib) * 1024 * 1024;
if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw new Error('--mib must be a positive integer');

const MiB = 1024 * 1024;
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
const started = performance.now();
const say = (line: string) =>
  console.log(`[image-memory ${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`);

/** VmRSS and VmHWM (peak RSS since the process started) of one process, in bytes. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Samples VmRSS of the watched processes, keeping the highest seen per phase. */
class Sampler {
  private readonly peaks = new Map<string, number>();
  private phase = 'idle';
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: Record<string, number>) {
    this.timer = setInterval(() => this.sample(), 50);
  }

  enter(phase: string): void {
    this.sample();
    this.phase = phase;
    this.sample();
  }

  peak(phase: string, name: string): number {
    return this.peaks.get(`${phase}/${name}`) ?? NaN;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const key = `${this.phase}/${name}`;
      this.peaks.set(key, Math.max(this.peaks.get(key) ?? 0, memoryOf(pid).rss));
    }
  }
}

async function uploadImage(stack: TestStack): Promise<{ id: string; sha256: string; seconds: number }> {
  const created = await stack.api('POST', '/v1/images', { name: `bench-${args.mib}mib` });
  if (created.status !== 201) throw new Error(`POST /v1/images: ${created.status} ${JSON.stringify(created.body)}`);
  const hash = createHash('sha256');
  const source = seedImageStream(sizeBytes).pipe(
    new Transform({
      transform(chunk: Buffer, _enc, next) {
        hash.update(chunk);
        next(null, chunk);
      },
    }),
  );
  const t0 = performance.now();
  const res = await fetch(`${stack.apiUrl}/v1/images/${created.body.id}/file`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/octet-stream' },
    body: Readable.toWeb(source) as ReadableStream<Uint8Array>,
    duplex: 'half',
  });
  const body = (await res.json()) as { sha256: string; sizeBytes: number; status: string };
  const seconds = (performance.now() - t0) / 1000;
  const sha256 = hash.digest('hex');
  if (res.status !== 200 || body.sha256 !== sha256 || body.sizeBytes !== sizeBytes || body.status !== 'active') {
    throw new Error(`upload: ${res.status} ${JSON.stringify(body)} (sent ${sizeBytes} bytes, sha256 ${sha256})`);
  }
  return { id: created.body.id, sha256, seconds };
}

async function buildFrom(
  stack: TestStack,
  imageId: string,
): Promise<{ host: string; seconds: number; progressSeen: number }> {
  const t0 = performance.now();
  const created = await stack.api('POST', '/v1/instances', {
    name: 'bench-image',
    flavor: 'm1.tiny',
    image: imageId,
    network: 'default',
  });
  if (created.status !== 202) throw new Error(`POST /v1/instances: ${created.status} ${JSON.stringify(created.body)}`);
  let progressSeen = 0;
  const ended = await stack.waitFor(
    async () => {
      const { body } = await stack.api('GET', `/v1/instances/${created.body.id}`);
      if (body.progress?.image) progressSeen += 1;
      return body.status === 'ACTIVE' || body.status === 'ERROR' ? body : null;
    },
    15 * 60_000,
    'the build from the big image to end',
  );
  if (ended.status !== 'ACTIVE') throw new Error(`build ended ${ended.status}: ${JSON.stringify(ended.fault)}`);
  return { host: ended.host, seconds: (performance.now() - t0) / 1000, progressSeen };
}

say(`starting the stack (one agent) for a ${args.mib} MiB image`);
const stack = await startTestStack({ agents: ['node-1'], echo: args.echo, env: { NIMBUS_HYPERVISOR_DELAY_MS: '0' } });
try {
  const pids = { api: stack.supervisor.pid('api')!, agent: stack.supervisor.pid('node-1')! };
  const idle = { api: memoryOf(pids.api), agent: memoryOf(pids.agent) };
  const sampler = new Sampler(pids);

  sampler.enter('upload');
  const image = await uploadImage(stack);
  say(`uploaded ${args.mib} MiB in ${image.seconds.toFixed(1)} s; sha256 ${image.sha256}`);

  sampler.enter('pull');
  const built = await buildFrom(stack, image.id);
  const cached = statSync(path.join(stack.dataDir, 'nodes', built.host, 'images', image.sha256)).size;
  if (cached !== sizeBytes) throw new Error(`the node cache holds ${cached} bytes, not ${sizeBytes}`);
  say(
    `built ACTIVE on ${built.host} in ${built.seconds.toFixed(1)} s (pull included); ` +
      `progress seen ${built.progressSeen} time(s)`,
  );
  sampler.stop();

  const end = { api: memoryOf(pids.api), agent: memoryOf(pids.agent) };
  const report = (name: 'api' | 'agent') => ({
    idleRssMiB: mib(idle[name].rss),
    peakRssDuringUploadMiB: mib(sampler.peak('upload', name)),
    peakRssDuringPullMiB: mib(sampler.peak('pull', name)),
    vmHwmBeforeMiB: mib(idle[name].hwm),
    vmHwmAfterMiB: mib(end[name].hwm),
  });
  const result = {
    at: new Date().toISOString(),
    imageMiB: Number(args.mib),
    uploadSeconds: Math.round(image.seconds * 10) / 10,
    uploadMiBps: Math.round(sizeBytes / MiB / image.seconds),
    buildSecondsIncludingPull: Math.round(built.seconds * 10) / 10,
    api: report('api'),
    agent: report('agent'),
  };
  const worst = Math.max(result.api.vmHwmAfterMiB, result.agent.vmHwmAfterMiB);
  console.log(`\n                       API        agent`);
  for (const [label, key] of [
    ['idle RSS', 'idleRssMiB'],
    ['peak RSS, upload', 'peakRssDuringUploadMiB'],
    ['peak RSS, pull', 'peakRssDuringPullMiB'],
    ['VmHWM before', 'vmHwmBeforeMiB'],
    ['VmHWM after', 'vmHwmAfterMiB'],
  ] as const) {
    console.log(
      `  ${label.padEnd(18)} ${String(result.api[key]).padStart(7)} MiB ${String(result.agent[key]).padStart(7)} MiB`,
    );
  }
  const share = ((worst / (sizeBytes / MiB)) * 100).toFixed(1);
  console.log(
    `\n  ${args.mib} MiB moved; the highest peak of either process is ${worst} MiB (${share}% of the image).`,
  );
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'image-memory.json'), JSON.stringify(result, null, 2) + '\n');
  say(`written to ${path.relative(REPO_ROOT, path.join(dir, 'image-memory.json'))}`);
} finally {
  await stack.stop();
}
