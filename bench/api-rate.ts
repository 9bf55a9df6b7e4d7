import { performance } from 'node:perf_hooks';
import type { BenchHttp } from './http.js';
import { summarize, type LatencySummary } from './stats.js';

export interface ApiRateResult {
  path: string;
  seconds: number;
  concurrency: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  latency: LatencySummary;
}

/**
 * The read path under load: `concurrency` keep-alive clients on loopback ask for the same
 * path back to back for `seconds`. Bounded in time and in connections.
 */
export async function benchApiRate(
  http: BenchHttp,
  opts: { path: string; seconds: number; concurrency: number },
): Promise<ApiRateResult> {
  const samples: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const start = performance.now();
      try {
        const res = await http.request('GET', opts.path);
        if (res.status === 200) samples.push(performance.now() - start);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, client));
  const elapsed = (performance.now() - t0) / 1000;
  return {
    path: opts.path,
    seconds: Math.round(elapsed * 100) / 100,
    concurrency: opts.concurrency,
    requests: samples.length,
    errors,
    requestsPerSecond: Math.round((samples.length / elapsed) * 10) / 10,
    latency: summarize(samples),
  };
}
