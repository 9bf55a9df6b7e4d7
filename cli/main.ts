#!/usr/bin/env node
/**
 * `nimbus`: the command line for Nimbus.
 *   nimbus server create NAME --flavor F --image I --network N [--volume-size GB] [--wait]
 *   nimbus server list [--status S] [--host H] | show ID | delete ID [--wait]
 *   nimbus server stop|start|reboot ID [--wait] | console ID [--lines N]
 *   nimbus host list
 *   nimbus image upload FILE [--name NAME] | image list
 * Global: --json, --url URL, --token TOKEN (or NIMBUS_URL, NIMBUS_TOKEN, ~/.config/nimbus/config.json).
 * Exit codes: 0 done, 1 the operation failed (e.g. the build ended ERROR), 2 bad usage.
 */
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ApiError, NimbusClient, loadCliConfig } from './client.js';
import { instanceSummary, progressBar, table } from './format.js';

const USAGE = `usage:
  nimbus server create NAME --flavor F --image I --network N [--volume-size GB] [--wait]
  nimbus server list [--status S] [--host H]
  nimbus server show ID
  nimbus server delete ID [--wait]
  nimbus server stop|start|reboot ID [--wait]
  nimbus server console ID [--lines N]
  nimbus host list
  nimbus image upload FILE [--name NAME]
  nimbus image list
options: --json  --url URL  --token TOKEN  --timeout SECONDS (for --wait, default 600)`;

class UsageError extends Error {}

const { values: opts, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        flavor: { type: 'string' },
        image: { type: 'string' },
        network: { type: 'string' },
        'volume-size': { type: 'string' },
        wait: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        url: { type: 'string' },
        token: { type: 'string' },
        name: { type: 'string' },
        status: { type: 'string' },
        host: { type: 'string' },
        lines: { type: 'string' },
        timeout: { type: 'string', default: '600' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
})();

const client = new NimbusClient(loadCliConfig({ url: opts.url, token: opts.token }));
const out = (text: string) => process.stdout.write(`${text}\n`);
const print = (value: unknown, human: () => string) => out(opts.json ? JSON.stringify(value, null, 2) : human());

/** Each command (`noun verb`) and what runs it, given the argument after the verb. */
const COMMANDS: Record<string, (arg: string | undefined) => Promise<number>> = {
  'server create': (arg) => createServer(required(arg, 'NAME')),
  'server list': listServers,
  'server show': (arg) => showServer(required(arg, 'ID')),
  'server delete': (arg) => deleteServer(required(arg, 'ID')),
  'server stop': (arg) => powerAction(required(arg, 'ID'), 'stop', 'SHUTOFF'),
  'server start': (arg) => powerAction(required(arg, 'ID'), 'start', 'ACTIVE'),
  'server reboot': (arg) => powerAction(required(arg, 'ID'), 'reboot', 'ACTIVE'),
  'server console': (arg) => showConsole(required(arg, 'ID')),
  'host list': listHosts,
  'image upload': (arg) => uploadImage(required(arg, 'FILE')),
  'image list': listImages,
};

async function main(): Promise<number> {
  const [noun, verb, arg] = positionals;
  if (opts.help || !noun) {
    out(USAGE);
    return opts.help ? 0 : 2;
  }
  const name = `${noun} ${verb ?? ''}`.trim();
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  return command(arg);
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

async function createServer(name: string): Promise<number> {
  const body: Record<string, unknown> = {
    name,
    flavor: required(opts.flavor, '--flavor'),
    image: required(opts.image, '--image'),
    network: required(opts.network, '--network'),
  };
  if (opts['volume-size'] !== undefined) {
    const sizeGb = Number(opts['volume-size']);
    if (!Number.isInteger(sizeGb) || sizeGb < 1) throw new UsageError('--volume-size must be a whole number of GB');
    body.volume = { sizeGb };
  }
  const instance = await client.request('POST', '/v1/instances', body);
  if (!opts.wait) {
    print(
      instance,
      () =>
        `instance ${instance.id} accepted (${instance.status}/${instance.taskState}); ` +
        `follow it with: nimbus server show ${instance.id}`,
    );
    return 0;
  }
  if (!opts.json) out(`instance ${instance.id} (${name}) accepted; building...`);
  return waitForEnd(instance.id, ['ACTIVE'], ['ERROR', 'DELETED']);
}

/** Polls until the instance settles, printing each step (and the image pull as a bar). */
async function waitForEnd(id: string, good: string[], bad: string[]): Promise<number> {
  const deadline = Date.now() + Number(opts.timeout) * 1000;
  const tty = process.stdout.isTTY && !opts.json;
  let lastState = '';
  const attemptsShown: string[] = [];
  for (;;) {
    const inst = await client.request('GET', `/v1/instances/${id}?live=true`);
    if (!opts.json) {
      inst.attempts.forEach((a: any, i: number) => {
        const line = `  attempt ${i + 1} on ${a.host}: ${a.outcome}${a.reason ? ` (${a.reason})` : ''}`;
        if (attemptsShown[i] !== line) out((attemptsShown[i] = line));
      });
      const state = inst.taskState ?? inst.status;
      if (state !== lastState) {
        if (tty && lastState === 'pulling_image') process.stdout.write('\n');
        out(`  ${new Date().toISOString().slice(11, 19)}  ${state}${inst.host ? ` on ${inst.host}` : ''}`);
        lastState = state;
      }
      const pull = inst.progress?.image;
      if (tty && state === 'pulling_image' && pull)
        process.stdout.write(`\r    ${progressBar(pull.bytesDone, pull.bytesTotal)}`);
    }
    if (inst.taskState === null && (good.includes(inst.status) || bad.includes(inst.status))) {
      const ok = good.includes(inst.status);
      const where = inst.fault ? `${inst.fault.step ?? '?'}${inst.fault.host ? ` on ${inst.fault.host}` : ''}` : '';
      print(inst, () =>
        ok
          ? table([instanceSummary(inst)], ['id', 'name', 'status', 'host', 'flavor', 'ip', 'volumes'])
          : `${inst.status}${inst.fault ? `: ${inst.fault.code} at ${where}: ${inst.fault.message}` : ''}`,
      );
      if (!ok && opts.json)
        process.stderr.write(`${inst.status}${inst.fault ? `: ${inst.fault.code}: ${inst.fault.message}` : ''}\n`);
      return ok ? 0 : 1;
    }
    if (Date.now() > deadline) {
      process.stderr.write(
        `gave up waiting after ${opts.timeout} s; the instance is ${inst.status}/${inst.taskState}\n`,
      );
      return 1;
    }
    await sleep(500);
  }
}

async function listServers(): Promise<number> {
  const q = new URLSearchParams();
  if (opts.status) q.set('status', opts.status);
  if (opts.host) q.set('host', opts.host);
  const list = await client.request('GET', `/v1/instances${q.size ? `?${q.toString()}` : ''}`);
  print(list, () =>
    table(list.map(instanceSummary), ['id', 'name', 'status', 'task', 'host', 'flavor', 'ip', 'volumes']),
  );
  return 0;
}

async function showServer(id: string): Promise<number> {
  const inst = await client.request('GET', `/v1/instances/${id}?live=true`);
  print(inst, () => {
    const lines = [table([instanceSummary(inst)], ['id', 'name', 'status', 'task', 'host', 'flavor', 'ip', 'volumes'])];
    for (const a of inst.addresses) {
      const segment = `${a.segmentation.type}${a.segmentation.id !== null ? ` ${a.segmentation.id}` : ''}`;
      lines.push(`address  ${a.network} ${a.ip} ${a.mac} ${segment}`);
    }
    for (const v of inst.volumes) {
      const target = v.connection
        ? `${v.connection.targetIqn} ${v.connection.targetPortal} lun ${v.connection.targetLun}`
        : '';
      lines.push(`volume   ${v.id} ${v.sizeGb} GB ${v.status} ${v.device ?? ''} ${target}`.trimEnd());
    }
    inst.attempts.forEach((a: any, i: number) =>
      lines.push(`attempt  ${i + 1} ${a.host} ${a.outcome}${a.reason ? ` (${a.reason})` : ''}`),
    );
    if (inst.fault) lines.push(`fault    ${inst.fault.code} at ${inst.fault.step ?? '?'}: ${inst.fault.message}`);
    return lines.join('\n');
  });
  return 0;
}

async function deleteServer(id: string): Promise<number> {
  const inst = await client.request('DELETE', `/v1/instances/${id}`);
  if (!opts.wait) {
    print(inst, () => `instance ${id}: delete accepted`);
    return 0;
  }
  return waitForEnd(id, ['DELETED'], ['ERROR', 'ACTIVE']);
}

/** Nova's os-stop, os-start, reboot; with --wait, until the task is done and the status is the expected one. */
async function powerAction(id: string, action: string, expected: string): Promise<number> {
  const inst = await client.request('POST', `/v1/instances/${id}/actions`, { action });
  if (!opts.wait) {
    print(inst, () => `instance ${id}: ${action} accepted (${inst.status}/${inst.taskState})`);
    return 0;
  }
  const others = ['ACTIVE', 'SHUTOFF', 'ERROR', 'DELETED'].filter((s) => s !== expected);
  return waitForEnd(id, [expected], others);
}

async function showConsole(id: string): Promise<number> {
  const q = opts.lines === undefined ? '' : `?lines=${encodeURIComponent(opts.lines)}`;
  const res = await client.request<{ output: string }>('GET', `/v1/instances/${id}/console${q}`);
  print(res, () => res.output);
  return 0;
}

async function listHosts(): Promise<number> {
  const hosts = await client.request('GET', '/v1/hosts');
  print(hosts, () =>
    table(
      hosts.map((h: any) => ({
        name: h.name,
        status: h.status,
        hypervisor: h.hypervisorType ?? '',
        vcpus: `${h.vcpusUsed}/${h.vcpus * h.cpuAllocationRatio}`,
        ram_mb: `${h.ramMbUsed}/${h.ramMb * h.ramAllocationRatio}`,
        disk_gb: `${h.diskGbUsed}/${h.diskGb * h.diskAllocationRatio}`,
      })),
      ['name', 'status', 'hypervisor', 'vcpus', 'ram_mb', 'disk_gb'],
    ),
  );
  return 0;
}

async function uploadImage(file: string): Promise<number> {
  const size = statSync(file).size;
  const image = await client.request('POST', '/v1/images', {
    name: opts.name ?? path.basename(file).replace(/[^A-Za-z0-9._-]/g, '-'),
  });
  const stored = await client.request('PUT', `/v1/images/${image.id}/file`, undefined, {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    raw: Readable.toWeb(createReadStream(file)) as unknown as RequestInit['body'],
    duplex: 'half',
  });
  print(stored, () => table([stored], ['id', 'name', 'status', 'sizeBytes', 'sha256']));
  return 0;
}

async function listImages(): Promise<number> {
  const images = await client.request('GET', '/v1/images');
  print(images, () => table(images, ['id', 'name', 'status', 'sizeBytes', 'sha256']));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof ApiError) {
      const fields = err.problem?.errors?.map((e) => `  ${e.field}: ${e.message}`).join('\n');
      process.stderr.write(`error ${err.status}: ${err.message}${fields ? `\n${fields}` : ''}\n`);
      process.exit(1);
    }
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
