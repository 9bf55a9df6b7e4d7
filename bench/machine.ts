import os from 'node:os';

/** The machine a benchmark ran on, as every results file states it. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string | null;
  memoryGb: number;
  node: string;
  loadAverageAtEnd: number[];
}

/** This machine now: a benchmark calls it when it ends, so the load average is the end's. */
export function machineInfo(): MachineInfo {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAverageAtEnd: os.loadavg(),
  };
}
