import type { QemuBenchResults } from './qemu-boot.js';
import { table, type LatencySummary } from './stats.js';

/** The real path's table: `npm run bench -- qemu` (bench/qemu-boot.ts). */
export function formatQemuBench(r: QemuBenchResults): string {
  if (r.status === 'skipped') return `Real path (QEMU): skipped: ${r.reason}`;
  const s = (x: LatencySummary | null) => (x ? [x.count, x.p50Ms / 1000, x.p95Ms / 1000, x.maxMs / 1000] : []);
  const out = [
    '',
    `Real path: ${r.options.builds} builds of the guest image (${r.options.flavor}) with the QEMU driver, ` +
      `${r.options.concurrency} at a time, on ${r.hypervisorType ?? 'an unknown accelerator'}; ` +
      `${r.boots.length} ok, ${r.failed} failed, in ${r.wallSeconds ?? '-'} s`,
    table(
      ['', 'n', 'p50 s', 'p95 s', 'max s'],
      [
        ['POST → guest marker (NIMBUS-GUEST-READY)', ...s(r.postToMarker)],
        ['POST → ACTIVE', ...s(r.postToActive)],
        ['guest marker → ACTIVE (the saga after the boot)', ...s(r.markerToActive)],
        [`reference: ${r.reference.what}`, '', r.reference.medianMs / 1000, '', ''],
      ],
    ),
  ];
  if (r.alone)
    out.push(
      `alone (the untimed first build): POST → ACTIVE ${r.alone.activeMs / 1000} s, ` +
        `POST → marker ${r.alone.markerMs / 1000} s`,
    );
  const cpu = r.qemuCpuSecondsPerBoot;
  const rss = r.rssMbPerGuest;
  if (cpu && rss)
    out.push(
      `What ${r.hypervisorType ?? 'QEMU'} costs: QEMU CPU-seconds per boot (start → marker) p50 ${cpu.p50}, ` +
        `p95 ${cpu.p95}; RSS per guest at its marker p50 ${rss.p50} MB, max ${rss.max} MB`,
    );
  out.push(`QEMU processes left after the run: ${r.qemuProcessesLeft}`);
  if (r.status === 'failed') out.push(`failed: ${r.reason}`);
  const load = r.machine.loadAverageAtEnd.map((x) => x.toFixed(1)).join(' ');
  out.push(
    `Total: ${r.totalSeconds} s on ${r.machine.cpus} cores (${r.machine.cpuModel}); load average at the end ${load}`,
  );
  return out.join('\n');
}
