import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { summarize, type LatencySummary } from './stats.js';

/** Where the scale run's controller (bench/scale-apps/controller/main.ts) records each host choice, in its data dir. */
export const SELECT_TIMES_FILE = 'select-times.txt';

/** The scheduler's HostSelector.select times recorded between `from` and `to` (epoch ms). */
export async function selectTimes(dataDir: string, from: number, to: number): Promise<LatencySummary> {
  const text = await readFile(path.join(dataDir, SELECT_TIMES_FILE), 'utf8').catch(() => '');
  const ms = text
    .split('\n')
    .map((line) => line.split(' ').map(Number))
    .filter(([at, d]) => at >= from && at <= to && Number.isFinite(d))
    .map(([, d]) => d);
  return summarize(ms);
}
