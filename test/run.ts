/**
 * `npm test`: every layer in order, each a `node --test` run over the compiled files.
 * Unit tests run in parallel; the layers that start servers run one file at a time, so
 * the suite fits a 2-core machine. Pass layer names to run only those: `npm test -- unit`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../core/config.js';

const LAYERS = [
  { name: 'unit', concurrency: 2, timeoutMs: 120_000 },
  { name: 'workflows', concurrency: 1, timeoutMs: 300_000 },
  { name: 'replay', concurrency: 1, timeoutMs: 300_000 },
  { name: 'e2e', concurrency: 1, timeoutMs: 600_000 },
  { name: 'browser', concurrency: 1, timeoutMs: 600_000 },
];

const wanted = process.argv.slice(2);
const totals = { pass: 0, fail: 0, skipped: 0 };
let failed = false;
const started = Date.now();

for (const layer of LAYERS) {
  if (wanted.length && !wanted.includes(layer.name)) continue;
  const dir = path.join(REPO_ROOT, 'dist', 'test', layer.name);
  const files = existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.test.js'))
    : [];
  if (files.length === 0) continue;
  console.log(`\n=== ${layer.name}: ${files.length} file(s)`);
  const run = spawnSync(
    process.execPath,
    [
      '--test',
      `--test-concurrency=${layer.concurrency}`,
      `--test-timeout=${layer.timeoutMs}`,
      ...files.sort().map((f) => path.join(dir, f)),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  process.stdout.write(run.stdout);
  for (const [key, re] of [
    ['pass', /^# pass (\d+)/m],
    ['fail', /^# fail (\d+)/m],
    ['skipped', /^# skipped (\d+)/m],
  ] as const) {
    totals[key] += Number(re.exec(run.stdout)?.[1] ?? 0);
  }
  if (run.status !== 0) failed = true;
}

console.log(
  `\n${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped ` +
    `(${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
process.exit(failed || totals.pass === 0 ? 1 : 0);
