/**
 * The controller of a scale run (bench/scale.ts): the real one (apps/controller/main.ts),
 * with HostSelector.select timed where it runs, so the run reports the scheduler's own
 * placement time under load rather than the activity's round trip through Temporal. Each
 * choice appends `<epoch ms> <duration ms>` to `<NIMBUS_DATA_DIR>/select-times.txt`.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HostSelector } from '../../../core/scheduling/host-selector.js';
import { SELECT_TIMES_FILE } from '../../scale-select-times.js';

const file = path.join(process.env.NIMBUS_DATA_DIR ?? '.', SELECT_TIMES_FILE);
let pending: string[] = [];
setInterval(() => {
  if (pending.length === 0) return;
  const lines = pending.join('');
  pending = [];
  void appendFile(file, lines).catch(() => {});
}, 250).unref();

// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the selector as `this`
const select = HostSelector.prototype.select;
HostSelector.prototype.select = async function timedSelect(this: HostSelector, ...args: Parameters<typeof select>) {
  const t0 = performance.now();
  try {
    return await select.apply(this, args);
  } finally {
    pending.push(`${Date.now()} ${(performance.now() - t0).toFixed(3)}\n`);
  }
};

await import('../../../apps/controller/main.js');
