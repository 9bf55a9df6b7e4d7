/**
 * `npm run bench -- qemu`: the real path. Builds of the guest image with the QEMU driver
 * through the API, each timed from its POST until ACTIVE and until the guest's
 * `NIMBUS-GUEST-READY instance=<id>` line is on its console, beside Nova's 13.1 s median boot
 * of cirros (Rally, 1000 nodes, KVM); and what the accelerator costs: CPU-seconds of each
 * guest's QEMU process up to its marker and its resident memory then, read from /proc.
 *
 *   node dist/bench/run.js qemu [--builds 10] [--concurrency 2] [--echo]
 *
 * One compute agent (NIMBUS_HYPERVISOR=qemu) on the test stack. One untimed build first fills
 * the node's image cache (its figures are reported as "alone"); then the timed builds, at most
 * `concurrency` guests at once: each is deleted, and DELETED, before its slot starts the next.
 * Every guest is killed if still there at the end, and the bench checks no QEMU is left.
 * Without QEMU it says so and skips: a benchmark is not a test.
 */
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.js';
import { buildGuestImage, guestImageCacheDir } from '../core/hypervisor/guest-image/build-guest-image.js';
import { GUEST_READY_MARKER } from '../core/hypervisor/guest-image/guest-init.js';
import { findQemuByUuid, killQemu, livePid } from '../core/hypervisor/qemu/qemu-process.js';
import { missingQemuTools, QEMU_INSTALL_COMMAND } from '../devstack/qemu-packages.js';
import { startTestStack, type TestStack } from '../test/support/stack.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { procUsage, qemuProcessesOf } from './qemu-proc.js';
import { formatQemuBench } from './qemu-report.js';
import { writeResults } from './report.js';
import { runPool, spread, summarize, type LatencySummary, type Spread } from './stats.js';

/** Nova's reference: median boot of cirros in a 1000-node Rally run, on KVM. */
export const NOVA_REFERENCE = { what: 'Nova: median boot of cirros, Rally at 1000 nodes, KVM', medianMs: 13_100 };

export interface BootSample {
  id: string;
  activeMs: number;
  markerMs: number;
  /** utime + stime of the guest's QEMU process from its start until the marker was seen. */
  qemuCpuSeconds: number | null;
  /** VmRSS and VmHWM of that process when the marker was seen. */
  rssMb: number | null;
  peakRssMb: number | null;
  /** The marker was also in GET /v1/instances/{id}/console. */
  markerInApiConsole: boolean;
}

export interface QemuBenchResults {
  startedAt: string;
  command: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  machine: MachineInfo;
  options: { builds: number; concurrency: number; flavor: string };
  hypervisorType: string | null;
  alone: BootSample | null;
  boots: BootSample[];
  failed: number;
  postToActive: LatencySummary | null;
  postToMarker: LatencySummary | null;
  /** What the saga does after the guest is up: the rest of spawn, then its remaining steps. */
  markerToActive: LatencySummary | null;
  qemuCpuSecondsPerBoot: Spread | null;
  rssMbPerGuest: Spread | null;
  wallSeconds: number | null;
  reference: typeof NOVA_REFERENCE;
  qemuProcessesLeft: number;
  totalSeconds: number;
}

const FLAVOR = 'm1.tiny';
const IMAGE = 'nimbus-guest';

/** Runs the QEMU bench; returns the process exit code. */
export async function qemuBench(argv: string[]): Promise<number> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      builds: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '2' },
      echo: { type: 'boolean', default: false },
    },
  });
  const builds = Number(args.builds);
  const concurrency = Number(args.concurrency);
  if (!Number.isInteger(builds) || builds < 1) throw new Error('--builds must be an integer >= 1');
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency must be an integer >= 1');
  const started = performance.now();
  const say = (line: string) =>
    console.log(`[bench qemu ${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`);
  const results: QemuBenchResults = {
    startedAt: new Date().toISOString(),
    command: `node dist/bench/run.js qemu ${argv.join(' ')}`.trim(),
    status: 'ok',
    machine: machineInfo(),
    options: { builds, concurrency, flavor: FLAVOR },
    hypervisorType: null,
    alone: null,
    boots: [],
    failed: 0,
    postToActive: null,
    postToMarker: null,
    markerToActive: null,
    qemuCpuSecondsPerBoot: null,
    rssMbPerGuest: null,
    wallSeconds: null,
    reference: NOVA_REFERENCE,
    qemuProcessesLeft: 0,
    totalSeconds: 0,
  };
  const finish = (code: number) => {
    results.machine.loadAverageAtEnd = os.loadavg();
    results.totalSeconds = Math.round((performance.now() - started) / 100) / 10;
    console.log(formatQemuBench(results));
    say(`figures written to ${writeResults(results, 'qemu')} and bench/results/qemu-latest.json`);
    return code;
  };

  const missing = missingQemuTools();
  if (missing.length > 0) {
    results.status = 'skipped';
    results.reason = `QEMU is not installed here (no ${missing.join(', ')}); as root: ${QEMU_INSTALL_COMMAND}`;
    say(`skipping the real path: ${results.reason}`);
    return finish(0);
  }

  say('building the guest image (cached under the data dir) and starting the stack (one agent, QEMU driver)');
  const image = await buildGuestImage({ cacheDir: guestImageCacheDir(loadConfig().dataDir) }).catch((err: Error) => {
    results.status = 'skipped';
    results.reason = `the guest image did not build: ${err.message.split('\n')[0]}`;
    return null;
  });
  if (!image) return finish(0);
  const stack = await startTestStack({
    agents: ['node-1'],
    env: { NIMBUS_HYPERVISOR: 'qemu', NIMBUS_LOG_LEVEL: 'warn' },
    echo: args.echo,
  });
  const made: string[] = [];
  let code = 0;
  try {
    const hosts = await stack.api<Array<{ name: string; hypervisorType: string | null }>>('GET', '/v1/hosts');
    results.hypervisorType = hosts.body.find((h) => h.name === 'node-1')?.hypervisorType ?? null;
    await uploadImage(stack, image.path, image.sha256);
    say(`host node-1 runs ${results.hypervisorType}; one untimed build fills the node's image cache`);
    results.alone = await bootOnce(stack, 'bench-qemu-warmup', made);

    say(`${builds} builds of ${IMAGE} (${FLAVOR}), ${concurrency} at a time, each deleted after its marker`);
    const t0 = performance.now();
    const runs = await runPool(builds, concurrency, (i) =>
      bootOnce(stack, `bench-qemu-${i}`, made).then(
        (sample) => {
          say(`build ${i + 1}/${builds}: ACTIVE ${sample.activeMs} ms, marker ${sample.markerMs} ms`);
          return sample;
        },
        (err: Error) => {
          say(`build ${i + 1}/${builds} failed: ${err.message}`);
          return null;
        },
      ),
    );
    results.wallSeconds = Math.round((performance.now() - t0) / 100) / 10;
    results.boots = runs.filter((r): r is BootSample => r !== null);
    results.failed = builds - results.boots.length;
    const values = (pick: (b: BootSample) => number | null) =>
      results.boots.map(pick).filter((x): x is number => x !== null);
    const of = (pick: (b: BootSample) => number | null) => (values(pick).length ? summarize(values(pick)) : null);
    results.postToActive = of((b) => b.activeMs);
    results.postToMarker = of((b) => b.markerMs);
    results.markerToActive = of((b) => b.activeMs - b.markerMs);
    results.qemuCpuSecondsPerBoot = spread(values((b) => b.qemuCpuSeconds));
    results.rssMbPerGuest = spread(values((b) => b.rssMb));
    if (results.failed > 0 || results.boots.some((b) => !b.markerInApiConsole)) code = 1;
  } catch (err) {
    console.error(err);
    console.error(`Last stack output:\n${stack.logs(40).join('\n')}`);
    results.status = 'failed';
    results.reason = (err as Error).message;
    code = 1;
  } finally {
    // QEMU outlives the agent (-daemonize): whatever a failed build left is killed here.
    for (const id of made) {
      const pid = await findQemuByUuid(id);
      if (pid) await killQemu(pid, id);
    }
    await stack.stop();
    results.qemuProcessesLeft = (await qemuProcessesOf(stack.dataDir, made)).length;
    say(`stack stopped; QEMU processes left: ${results.qemuProcessesLeft}`);
    if (results.qemuProcessesLeft > 0) code = 1;
  }
  return finish(code);
}

async function uploadImage(stack: TestStack, file: string, sha256: string): Promise<void> {
  const created = await stack.api('POST', '/v1/images', { name: IMAGE });
  if (created.status !== 201) throw new Error(`POST /v1/images: ${created.status} ${JSON.stringify(created.body)}`);
  const put = await stack.api('PUT', `/v1/images/${created.body.id}/file`, await readFile(file), {
    headers: { 'content-type': 'application/octet-stream', 'x-image-sha256': sha256 },
  });
  if (put.status !== 200) throw new Error(`PUT the image file: ${put.status} ${JSON.stringify(put.body)}`);
}

/**
 * One build: POST, ACTIVE, the marker on the console file, /proc of its QEMU, the marker through
 * the API; then, whatever happened, DELETE until DELETED, so a slot never holds two guests.
 */
async function bootOnce(stack: TestStack, name: string, made: string[]): Promise<BootSample> {
  const t0 = performance.now();
  const res = await stack.api('POST', '/v1/instances', { name, flavor: FLAVOR, image: IMAGE, network: 'default' });
  if (res.status !== 202) throw new Error(`POST /v1/instances: ${res.status} ${JSON.stringify(res.body)}`);
  const id: string = res.body.id;
  made.push(id);
  const dir = path.join(stack.dataDir, 'nodes', 'node-1', 'qemu', 'instances', id);
  const marker = `${GUEST_READY_MARKER} instance=${id}`;
  // The marker comes before ACTIVE (the agent waits for it in spawn): the console is watched from the POST on.
  let stop = false;
  const seen = until(300_000, `${id}'s marker on its console`, 100, async () => {
    if (stop) throw new Error(`${id}: stopped watching its console`);
    return (await readFile(path.join(dir, 'console.log'), 'utf8').catch(() => '')).includes(marker);
  }).then(async () => {
    const markerMs = Math.round(performance.now() - t0);
    const pid = (await livePid(path.join(dir, 'qemu.pid'), id)) ?? (await findQemuByUuid(id));
    const usage = (pid ? await procUsage(pid) : null) ?? { qemuCpuSeconds: null, rssMb: null, peakRssMb: null };
    return { markerMs, ...usage };
  });
  seen.catch(() => undefined); // awaited below; an ERROR build ends the wait first
  try {
    await until(300_000, `${id} ACTIVE`, 200, async () => {
      const { body } = await stack.api('GET', `/v1/instances/${id}`);
      if (body.status === 'ERROR') throw new Error(`${id} ended ERROR: ${JSON.stringify(body.fault)}`);
      return body.status === 'ACTIVE';
    });
    const activeMs = Math.round(performance.now() - t0);
    const atMarker = await seen;
    const got = await stack.api<{ output: string }>('GET', `/v1/instances/${id}/console?lines=200`);
    const markerInApiConsole = got.status === 200 && String(got.body.output).includes(marker);
    return { id, activeMs, ...atMarker, markerInApiConsole };
  } finally {
    stop = true;
    await deleteUntilGone(stack, id);
  }
}

async function deleteUntilGone(stack: TestStack, id: string): Promise<void> {
  const deleted = await stack.api('DELETE', `/v1/instances/${id}`);
  if (deleted.status !== 202) throw new Error(`DELETE ${id}: ${deleted.status} ${JSON.stringify(deleted.body)}`);
  await until(120_000, `${id} DELETED`, 200, async () => {
    return (await stack.api('GET', `/v1/instances/${id}`)).body.status === 'DELETED';
  });
}

/** Polls until `check` is true; an error from it ends the wait (unlike the test stack's waitFor, which retries). */
async function until(timeoutMs: number, what: string, everyMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}
